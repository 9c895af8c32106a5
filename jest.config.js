/** Jest runs TypeScript through swc (transpile only); type checking lives in `npm run lint`. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.tsx?$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  moduleFileExtensions: ["ts", "js", "json"],
  testTimeout: 60000,
  reporters: process.env.JEST_JUNIT_OUTPUT_DIR
    ? ["default", ["jest-junit", { outputDirectory: process.env.JEST_JUNIT_OUTPUT_DIR, outputName: "jest.xml" }]]
    : ["default"],
};
