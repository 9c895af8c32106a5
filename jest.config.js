/**
 * Jest runs TypeScript through swc (transpile only); type checking lives in `npm run lint`.
 *
 * `npx jest` (and `npx jest --watch`) runs the unit suites. The suites that pack the package and
 * install it into a fresh app (test/package/examples.test.ts, test/package/entry-isolation.test.ts)
 * take a minute on their own: they run when JEST_SLOW=1, which `npm test` (scripts/test.sh) sets.
 */
const slowSuites = ["<rootDir>/test/package/examples.test.ts", "<rootDir>/test/package/entry-isolation.test.ts"];

module.exports = {
  testEnvironment: "node",
  // Jest leaves a core free by default; on the 2-core machines this project runs on that halves
  // the speed, and the suites spend much of their time waiting on child processes anyway.
  maxWorkers: "100%",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: process.env.JEST_SLOW === "1" ? ["/node_modules/"] : ["/node_modules/", ...slowSuites],
  transform: { "^.+\\.tsx?$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  moduleFileExtensions: ["ts", "js", "json"],
  testTimeout: 60000,
  reporters: process.env.JEST_JUNIT_OUTPUT_DIR
    ? ["default", ["jest-junit", { outputDirectory: process.env.JEST_JUNIT_OUTPUT_DIR, outputName: "jest.xml" }]]
    : ["default"],
};
