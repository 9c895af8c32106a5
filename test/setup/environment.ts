/**
 * The node test environment, with one change: a stack captured on a plain object (not an Error)
 * is left empty. cdktf captures one, with no depth limit, for every token it creates
 * (`Intrinsic.creationStack`), and under jest each of its frames went through jest's source-map
 * support: two thirds of a stack build's time in the tests (the bad-input battery: 19 s of 28 s,
 * `node --cpu-prof node_modules/.bin/jest -i test/security/bad-input.test.ts`); keeping even ten
 * unmapped frames still cost a quarter of it. Creation stacks are only quoted in cdktf's own error
 * messages ("Object creation stack: ..."), which then list no frames. Stacks of errors, which a
 * failing test prints, are captured and source-mapped as before.
 */
import { TestEnvironment } from "jest-environment-node";

/** True for an Error of any realm: the test's, Node's own, or jest's. */
function isError(holder: unknown): boolean {
  return Object.prototype.toString.call(holder) === "[object Error]";
}

export default class TestEnvironmentWithoutTokenStacks extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    const testRealmError = this.global.Error as ErrorConstructor;
    const capture = testRealmError.captureStackTrace.bind(testRealmError);
    testRealmError.captureStackTrace = (holder: object, below?: Parameters<ErrorConstructor["captureStackTrace"]>[1]) => {
      if (isError(holder)) {
        capture(holder, below ?? testRealmError.captureStackTrace);
        return;
      }
      Object.defineProperty(holder, "stack", { value: "", writable: true, configurable: true, enumerable: false });
    };
  }
}
