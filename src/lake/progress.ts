/**
 * Transfer progress on stderr: a cli-progress bar on a terminal, and plain-text lines otherwise
 * (CI logs, tests, redirected output), printed at every tenth of the transfer or every few seconds,
 * and a last line at 100% once the transfer has completed.
 */
import { Presets, SingleBar } from "cli-progress";
import { formatBytes, formatRate } from "./format";

export interface ProgressReporter {
  /** Reports the total bytes transferred so far. */
  update(transferredBytes: number): void;
  /** Ends the report; prints the final line when the transfer completed. */
  stop(completed: boolean): void;
}

export interface ProgressOptions {
  /** What is being transferred, e.g. "upload bank.csv". */
  readonly label: string;
  readonly totalBytes: number;
  /** @default process.stderr */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw a bar instead of lines. @default stream.isTTY */
  readonly interactive?: boolean;
  /** Print nothing at all (--no-progress). @default false */
  readonly silent?: boolean;
  /** Longest gap between two plain-text lines. @default 5000 */
  readonly plainIntervalMs?: number;
}

const SILENT: ProgressReporter = { update() {}, stop() {} };

export function startProgress(options: ProgressOptions): ProgressReporter {
  if (options.silent) return SILENT;
  const stream = options.stream ?? process.stderr;
  const interactive = options.interactive ?? stream.isTTY === true;
  return interactive ? barReporter(options, stream) : lineReporter(options, stream);
}

function barReporter(options: ProgressOptions, stream: NodeJS.WritableStream): ProgressReporter {
  const startedAt = Date.now();
  const bar = new SingleBar(
    {
      stream,
      format: `${options.label} [{bar}] {percentage}% | {done} of {size} | {rate}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  const payload = (done: number) => ({ done: formatBytes(done), size: formatBytes(options.totalBytes), rate: formatRate(done, Date.now() - startedAt) });
  bar.start(Math.max(options.totalBytes, 1), 0, payload(0));
  let last = 0;
  return {
    update(transferredBytes) {
      last = transferredBytes;
      bar.update(Math.min(transferredBytes, options.totalBytes), payload(transferredBytes));
    },
    stop(completed) {
      if (completed) bar.update(Math.max(options.totalBytes, 1), payload(Math.max(last, options.totalBytes)));
      bar.stop();
    },
  };
}

function lineReporter(options: ProgressOptions, stream: NodeJS.WritableStream): ProgressReporter {
  const startedAt = Date.now();
  const interval = options.plainIntervalMs ?? 5000;
  let lastTenth = 0;
  let lastPrintedAt = startedAt;
  let lastBytes = 0;
  let stopped = false;
  const print = (done: number) => {
    const percent = options.totalBytes > 0 ? Math.floor((done / options.totalBytes) * 100) : 100;
    stream.write(`${options.label}: ${formatBytes(done)} of ${formatBytes(options.totalBytes)} (${percent}%) ${formatRate(done, Date.now() - startedAt)}\n`);
    lastPrintedAt = Date.now();
  };
  return {
    update(transferredBytes) {
      lastBytes = transferredBytes;
      // 100% is printed by stop(true) only: the bytes may all be sent while the commit still fails.
      if (transferredBytes >= options.totalBytes) return;
      const tenth = options.totalBytes > 0 ? Math.floor((transferredBytes / options.totalBytes) * 10) : 10;
      if (tenth > lastTenth || Date.now() - lastPrintedAt >= interval) {
        lastTenth = tenth;
        print(transferredBytes);
      }
    },
    stop(completed) {
      if (completed && !stopped) print(Math.max(lastBytes, options.totalBytes));
      stopped = true;
    },
  };
}
