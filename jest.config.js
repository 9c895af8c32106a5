/**
 * Jest runs TypeScript through swc (transpile only); type checking lives in `npm run lint`.
 *
 * `npx jest` (and `npx jest --watch`) runs the unit suites. The slow suites run when JEST_SLOW=1,
 * which `npm test` (scripts/test.sh) sets: the two that pack the package and install it into a
 * fresh app (a minute on their own), the lake CLI's process suite (a Node process per command,
 * about 15 s of CPU), and the one that runs real `terraform validate` with the pinned providers on
 * every stack (the azurerm provider alone is a 240 MB binary that each validate loads).
 *
 * test/setup/environment.ts is the node environment without cdktf's token creation stacks, which
 * took half the CPU time of the suites that build stacks.
 */
const slowSuites = [
  "<rootDir>/test/package/examples.test.ts",
  "<rootDir>/test/package/entry-isolation.test.ts",
  "<rootDir>/test/lake/cli.test.ts",
  "<rootDir>/test/security/secrets-in-state.test.ts",
];

module.exports = {
  // Jest leaves a core free by default; on the 2-core machines this project runs on that halves
  // the speed, and the suites spend much of their time waiting on child processes anyway.
  maxWorkers: "100%",
  roots: ["<rootDir>/test"],
  testEnvironment: "<rootDir>/test/setup/environment.ts",
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: process.env.JEST_SLOW === "1" ? ["/node_modules/"] : ["/node_modules/", ...slowSuites],
  transform: { "^.+\\.tsx?$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  moduleFileExtensions: ["ts", "js", "json"],
  testTimeout: 60000,
  reporters: process.env.JEST_JUNIT_OUTPUT_DIR
    ? ["default", ["jest-junit", { outputDirectory: process.env.JEST_JUNIT_OUTPUT_DIR, outputName: "jest.xml" }]]
    : ["default"],
};
