import { Writable } from "node:stream";
import { startProgress } from "../../src/lake/progress";

function capture(isTTY: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  }) as Writable & { isTTY?: boolean; columns?: number; cursorTo?: unknown };
  stream.isTTY = isTTY;
  return { stream, text: () => text };
}

describe("progress", () => {
  it("prints a plain line at each tenth of the transfer when stderr is not a terminal", () => {
    const { stream, text } = capture(false);
    const progress = startProgress({ label: "upload a.csv", totalBytes: 100, stream });

    for (let done = 5; done <= 100; done += 5) progress.update(done);
    progress.stop(true);

    const lines = text().trim().split("\n");
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^upload a\.csv: 10 B of 100 B \(10%\) /);
    expect(lines.at(-1)).toMatch(/^upload a\.csv: 100 B of 100 B \(100%\) /);
  });

  it("prints a final line when the last update fell inside a tenth", () => {
    const { stream, text } = capture(false);
    const progress = startProgress({ label: "pull x", totalBytes: 1000, stream });

    progress.update(50);
    progress.stop(true);

    expect(text()).toMatch(/^pull x: 1000 B of 1000 B \(100%\) .*\n$/);
  });

  it("prints nothing more when the transfer did not complete", () => {
    const { stream, text } = capture(false);
    const progress = startProgress({ label: "upload a.csv", totalBytes: 1000, stream });

    progress.update(50);
    progress.stop(false);

    expect(text()).toBe("");
  });

  it("prints nothing when silenced", () => {
    const { stream, text } = capture(false);
    const progress = startProgress({ label: "upload a.csv", totalBytes: 100, stream, silent: true });

    progress.update(100);
    progress.stop(true);

    expect(text()).toBe("");
  });
});

describe("progress on a terminal", () => {
  it("draws a cli-progress bar that ends at 100%", () => {
    const { stream, text } = capture(true);
    const progress = startProgress({ label: "upload a.csv", totalBytes: 2048, stream });

    progress.update(1024);
    progress.stop(true);

    expect(text()).toContain("upload a.csv [");
    expect(text()).toMatch(/100% \| 2\.0 KiB of 2\.0 KiB \|/);
  });
});
