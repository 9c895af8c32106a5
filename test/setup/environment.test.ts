/**
 * The test environment (test/setup/environment.ts) drops cdktf's token creation stacks and
 * nothing else: an error's stack still points at the TypeScript line that threw.
 */
import { Lazy } from "cdktf";

describe("the test environment", () => {
  it("records no creation stack for a cdktf token", () => {
    const token = Lazy.anyValue({ produce: () => "value" });
    expect((token as unknown as { creationStack: string[] }).creationStack).toEqual([]);
  });

  it("keeps the source-mapped stack of a thrown error", () => {
    const thrown = new Error("where was I thrown?");
    const line = 14; // the line above, in this TypeScript file
    expect(thrown.stack).toContain(`environment.test.ts:${line}:`);
  });

  it("keeps the stack Error.captureStackTrace records on an error", () => {
    const error = new Error("captured");
    Error.captureStackTrace(error);
    expect(error.stack?.split("\n")[1]).toContain("environment.test.ts:21:");
  });
});
