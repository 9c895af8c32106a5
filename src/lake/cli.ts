#!/usr/bin/env node
/**
 * The `lake` command: land the source file, verify the lake, pull results.
 * Usage and exit codes: docs/lake-cli.md. Run `lake --help` for the options.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
// Type-only: the modules behind these load @azure/storage-blob, which may not be installed. They
// are loaded by loadLakeModules once missingAzureSdks has found both SDKs.
import type { connectToLake, LakeConnection } from "./credentials";
import type { ExitCode as ExitCodes } from "./errors";
import type { VerifyMode } from "./verify";

/**
 * The Azure SDKs the CLI needs. They are optional peer dependencies of the package (construct
 * users do not install them), so `lake` checks for them before it loads anything that needs them.
 */
export const AZURE_SDKS = ["@azure/storage-blob", "@azure/identity"] as const;

/** Exit code when an SDK is missing: a problem of the local set-up, like a bad argument. */
const MISSING_SDK_EXIT: (typeof ExitCodes)["usage"] = 2;
const INTERRUPTED_EXIT: (typeof ExitCodes)["interrupted"] = 130;
const UNEXPECTED_EXIT: (typeof ExitCodes)["transfer"] = 5;

/** The SDKs of AZURE_SDKS that cannot be resolved from the CLI's own location. */
export function missingAzureSdks(resolve: (request: string) => string = require.resolve): string[] {
  return AZURE_SDKS.filter((name) => {
    try {
      resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

/** The package's own package.json (lib/lake/../../ or src/lake/../../), if it is there. */
function ownPackage(): { name?: string; peerDependencies?: Record<string, string> } | undefined {
  try {
    return JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { name?: string; peerDependencies?: Record<string, string> };
  } catch {
    return undefined;
  }
}

/** What `lake` prints when SDKs are missing: which ones, and the command that installs them at the package's peer ranges. */
export function missingSdkMessage(missing: readonly string[]): string {
  const pkg = ownPackage();
  const packageName = pkg?.name ?? "azure-quarterly-batch";
  const specs = AZURE_SDKS.map((name) => {
    const range = pkg?.peerDependencies?.[name];
    return range ? `${name}@${range}` : name;
  });
  return [
    `lake: ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not installed. The lake CLI needs the Azure SDKs ${AZURE_SDKS.join(" and ")},`,
    `which ${packageName} declares as optional peer dependencies (its constructs do not need them). Install them next to it:`,
    "",
    `  npm install ${specs.join(" ")}`,
  ].join("\n");
}

/** The CLI's modules that load the Azure SDKs. */
interface LakeModules {
  readonly credentials: typeof import("./credentials");
  readonly errors: typeof import("./errors");
  readonly land: typeof import("./land");
  readonly layout: typeof import("./layout");
  readonly progress: typeof import("./progress");
  readonly pull: typeof import("./pull");
  readonly ready: typeof import("./ready");
  readonly verify: typeof import("./verify");
}

async function loadLakeModules(): Promise<LakeModules> {
  const [credentials, errors, land, layout, progress, pull, ready, verify] = await Promise.all([
    import("./credentials"),
    import("./errors"),
    import("./land"),
    import("./layout"),
    import("./progress"),
    import("./pull"),
    import("./ready"),
    import("./verify"),
  ]);
  return { credentials, errors, land, layout, progress, pull, ready, verify };
}

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C / SIGTERM. */
  readonly abortSignal?: AbortSignal;
  /** Builds the lake connection; tests may substitute the Azure AD credential. @default connectToLake */
  readonly connect?: typeof connectToLake;
}

interface GlobalOptions {
  accountUrl?: string;
  verbose?: boolean;
  progress: boolean;
}

/** Refuses, before any request, a container name that would address another container or none (see containerNameProblem). */
function containerName(option: string, problem: (name: string) => string | undefined) {
  return (value: string): string => {
    const why = problem(value);
    if (why !== undefined) throw new InvalidArgumentError(`${option} ${JSON.stringify(value)}: ${why}.`);
    return value;
  };
}

function positiveInteger(name: string, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}.`);
    return parsed;
  };
}

/** Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const write = (stream: NodeJS.WritableStream) => (line: string) => stream.write(`${line}\n`);
  const out = write(io.stdout);
  const err = write(io.stderr);

  const missing = missingAzureSdks();
  if (missing.length > 0) {
    err(missingSdkMessage(missing));
    return MISSING_SDK_EXIT;
  }
  const {
    credentials: { connectToLake },
    errors: { ExitCode, formatError, LakeError, toLakeError },
    land: { DEFAULT_BLOCK_SIZE_BYTES, DEFAULT_UPLOAD_CONCURRENCY, describeLandResult, landFile },
    layout: { blobPathProblem, containerNameProblem, CURATED_CONTAINER, DEFAULT_LANDING_PREFIX, FEATURES_CONTAINER, LANDING_CONTAINER, QUARANTINE_CONTAINER, RUNS_CONTAINER, RUNS_PREFIX },
    progress: { startProgress },
    pull: { DEFAULT_PULL_CONCURRENCY, describePullResult, pull },
    ready: { ready },
    verify: { defaultVerifyPrefix, verify, VERIFY_MODES },
  } = await loadLakeModules();
  let exitCode: number = ExitCode.ok;
  let verbose = false;
  // Every container, prefix and path argument is checked as it is parsed, before any request.
  const container = (flags: string, description: string, fallback?: string) =>
    new Option(flags, description).default(fallback).argParser(containerName(flags.split(" ")[0], containerNameProblem));
  const blobPath = (flags: string, description: string, fallback?: string) =>
    new Option(flags, description).default(fallback).argParser(containerName(flags.split(" ")[0], blobPathProblem));

  const program = new Command("lake")
    .description("Land the bank transactions file in the lake, verify the lake against its run records, tell whether a quarter is ready for retraining, and pull results.")
    .option("--account-url <url>", "sign in to https://<account>.blob.core.windows.net with Azure AD (DefaultAzureCredential); without it, AZURE_STORAGE_CONNECTION_STRING is used")
    .option("--no-progress", "do not print transfer progress")
    .option("--verbose", "print stack traces and the connection in use")
    .showHelpAfterError("(run lake --help for usage)")
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .exitOverride();

  const connect = async (globals: GlobalOptions): Promise<LakeConnection> => {
    verbose = globals.verbose === true;
    const connection = await (io.connect ?? connectToLake)({ accountUrl: globals.accountUrl, env: io.env });
    if (verbose) err(`lake: connecting to ${connection.description}`);
    return connection;
  };
  const progressFactory = (globals: GlobalOptions) => (label: string, totalBytes: number) =>
    startProgress({ label, totalBytes, stream: io.stderr, silent: !globals.progress });

  program
    .command("land")
    .description("upload a CSV/XLSX file to the landing container in parallel blocks; skips it when the same content is already there")
    .argument("<file>", "the bank transactions export (.csv or .xlsx)")
    .addOption(container("--container <name>", "target container", LANDING_CONTAINER))
    .addOption(blobPath("--prefix <prefix>", "blob name prefix (the quarterly job reads the newest file under landing/bank/transactions/)", DEFAULT_LANDING_PREFIX))
    .addOption(new Option("--block-size <MiB>", "block size in MiB").default(DEFAULT_BLOCK_SIZE_BYTES / (1024 * 1024)).argParser(positiveInteger("--block-size", 4000)))
    .addOption(new Option("--concurrency <n>", "blocks uploaded in parallel").default(DEFAULT_UPLOAD_CONCURRENCY).argParser(positiveInteger("--concurrency", 64)))
    .option("--create-container", "create the container if it is missing (Azurite and local use; the lake's containers come from LakeStorage)")
    .action(async (file: string, options: { container: string; prefix: string; blockSize: number; concurrency: number; createContainer?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const connection = await connect(globals);
      const result = await landFile(connection, {
        file,
        container: options.container,
        prefix: options.prefix,
        blockSizeBytes: options.blockSize * 1024 * 1024,
        concurrency: options.concurrency,
        createContainer: options.createContainer === true,
        abortSignal: io.abortSignal,
        progress: progressFactory(globals),
        warn: err,
      });
      out(describeLandResult(result, file));
    });

  program
    .command("verify")
    .description("check landed files against their recorded MD5/SHA-256, or curated/features partitions against the latest run record; exits 1 on any mismatch")
    .addOption(container("--container <name>", "container to verify (landing, curated, features, ...)", LANDING_CONTAINER))
    .addOption(blobPath("--prefix <prefix>", `prefix to verify (default: ${DEFAULT_LANDING_PREFIX} for landed files, transactions/ for curated, export/ for features)`))
    .addOption(container("--runs-container <name>", "container holding the run records", RUNS_CONTAINER))
    .addOption(blobPath("--runs-prefix <prefix>", "prefix of the run records", RUNS_PREFIX))
    .addOption(new Option("--mode <mode>", "files: check landed files' hashes; partitions: check year=/quarter= partitions against the latest run record; auto: partitions for curated and features").choices(VERIFY_MODES).default("auto"))
    .option("--strict", "also fail on partitions the latest run did not write")
    .action(async (options: { container: string; prefix?: string; runsContainer: string; runsPrefix: string; mode: VerifyMode; strict?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const connection = await connect(globals);
      const report = await verify(connection, {
        container: options.container,
        prefix: options.prefix ?? defaultVerifyPrefix(options.container, DEFAULT_LANDING_PREFIX),
        runsContainer: options.runsContainer,
        runsPrefix: options.runsPrefix,
        mode: options.mode,
        strict: options.strict === true,
        abortSignal: io.abortSignal,
        progress: progressFactory(globals),
      });
      for (const line of report.heading) out(line);
      out(report.table);
      out(report.summary);
      if (!report.ok) exitCode = ExitCode.mismatch;
    });

  program
    .command("pull")
    .description("download a partition tree (e.g. one quarter's features) to a local directory; skips files whose MD5 already matches")
    .addOption(container("--container <name>", "source container (e.g. features)").makeOptionMandatory())
    .addOption(blobPath("--prefix <prefix>", "prefix to download (e.g. export/year=2022/quarter=3/ in features)").makeOptionMandatory())
    .requiredOption("--to <dir>", "local directory; blob paths are kept below it")
    .addOption(new Option("--concurrency <n>", "files downloaded in parallel").default(DEFAULT_PULL_CONCURRENCY).argParser(positiveInteger("--concurrency", 64)))
    .action(async (options: { container: string; prefix: string; to: string; concurrency: number }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const connection = await connect(globals);
      const result = await pull(connection, { ...options, abortSignal: io.abortSignal, progress: progressFactory(globals) });
      out(describePullResult(result));
    });

  program
    .command("ready")
    .description("exit 0 when the quarter's manifest exists and the lake bears it out (run record, export files' SHA-256, Delta commits' row counts); 6 when it is not published yet, 7 when it is invalid, 1 when the lake does not match it")
    .argument("<quarter>", "the quarter, such as 2022-Q3")
    .addOption(blobPath("--lake-path-prefix <folder>", "the pipeline's folder in each container (its lakePathPrefix), such as payments/", ""))
    .addOption(container("--features-container <name>", "container of the export and its manifests, and of features/quarterly", FEATURES_CONTAINER))
    .addOption(container("--curated-container <name>", "container of curated/transactions", CURATED_CONTAINER))
    .addOption(container("--quarantine-container <name>", "container of the quarantine table (rows/)", QUARANTINE_CONTAINER))
    .addOption(container("--runs-container <name>", "container holding the run records (default: the curated container)"))
    .addOption(blobPath("--runs-prefix <prefix>", "prefix of the run records (default: <lake-path-prefix>_runs/)"))
    .action(async (quarter: string, options: { lakePathPrefix: string; featuresContainer: string; curatedContainer: string; quarantineContainer: string; runsContainer?: string; runsPrefix?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const connection = await connect(globals);
      const report = await ready(connection, { quarter, ...options, abortSignal: io.abortSignal });
      for (const line of report.heading) out(line);
      out(report.table);
      out(report.summary);
      if (!report.ready) exitCode = ExitCode.mismatch;
    });

  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (or the help) already.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const lakeError = error instanceof LakeError ? error : toLakeError(error);
    err(formatError(lakeError, verbose || args.includes("--verbose")));
    return lakeError.exitCode;
  }
}

function main(): void {
  const controller = new AbortController();
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(INTERRUPTED_EXIT); // a second Ctrl-C leaves at once
    signalled = true;
    process.stderr.write(`\nlake: ${signal} received, stopping (nothing half-written is committed)...\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, abortSignal: controller.signal }).then(
    (code) => {
      process.exitCode = code;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
    (error: unknown) => {
      process.stderr.write(`lake: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = UNEXPECTED_EXIT;
    },
  );
}

if (require.main === module) main();
