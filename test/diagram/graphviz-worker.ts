import { Worker } from "node:worker_threads";
import { join } from "node:path";
import type { DotLayout } from "../../src/diagram/render";

/**
 * Graphviz (WebAssembly) in a worker thread. Jest runs tests inside a VM context that refuses a
 * native `import()` (it would need --experimental-vm-modules), and the package is ESM only; a
 * worker is a plain Node context, so it loads the package exactly as `npm run diagram` does.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { pathToFileURL } = require("node:url");
import(pathToFileURL(workerData.entry).href)
  .then(({ Graphviz }) => Graphviz.load())
  .then((graphviz) => parentPort.on("message", (dot) => {
    try { parentPort.postMessage({ svg: graphviz.layout(dot, "svg", "dot") }); }
    catch (error) { parentPort.postMessage({ error: String(error) }); }
  }));
`;

const ENTRY = join(__dirname, "..", "..", "node_modules", "@hpcc-js", "wasm-graphviz", "dist", "index.js");

/** A layout backed by one worker; call `close` when done. */
export function workerLayout(): { layout: DotLayout; close: () => Promise<number> } {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { entry: ENTRY } });
  let queue: Promise<unknown> = Promise.resolve();
  const layout: DotLayout = (dot) => {
    const result = queue.then(
      () =>
        new Promise<string>((resolve, reject) => {
          worker.once("message", (reply: { svg?: string; error?: string }) => (reply.svg !== undefined ? resolve(reply.svg) : reject(new Error(reply.error))));
          worker.postMessage(dot);
        }),
    );
    queue = result.catch(() => undefined);
    return result;
  };
  return { layout, close: () => worker.terminate() };
}
