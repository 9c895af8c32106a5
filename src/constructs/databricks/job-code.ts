import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

/** One file of the job package, read at synth time. */
export interface JobCodeFile {
  /** Path relative to the code directory, with `/` separators, such as `bank_etl/extract.py`. */
  readonly relativePath: string;
  /** The file's bytes, base64-encoded, as `databricks_workspace_file.content_base64` takes them. */
  readonly contentBase64: string;
  /** SHA-256 of the file's bytes, hex. */
  readonly sha256: string;
}

/** The requirements file a job's pinned cluster libraries come from, by default. */
export const JOB_REQUIREMENTS = "requirements.txt";
/** File types a job needs at run time; entries named explicitly are uploaded whatever their type. */
const PACKAGE_EXTENSIONS = [".py", ".sql"];
/** Folders that never ship: tests, caches, local data and virtual environments. */
const SKIPPED_FOLDERS = new Set(["tests", "test", "__pycache__", "node_modules", "venv", "env", ".venv"]);

/** Code-point order, so the result never depends on the machine's locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A file to upload, from its bytes. */
export function jobFile(relativePath: string, bytes: Buffer): JobCodeFile {
  return { relativePath, contentBase64: bytes.toString("base64"), sha256: createHash("sha256").update(bytes).digest("hex") };
}

export function readJobFile(root: string, relativePath: string): JobCodeFile {
  return jobFile(relativePath, readFileSync(path.join(root, ...relativePath.split("/"))));
}

function walkPackage(root: string, relativeFolder: string, found: string[]): void {
  const entries = readdirSync(path.join(root, ...relativeFolder.split("/").filter((part) => part !== "")), { withFileTypes: true }).sort((a, b) => compareNames(a.name, b.name));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const relativePath = relativeFolder === "" ? entry.name : `${relativeFolder}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) walkPackage(root, relativePath, found);
    } else if (entry.isFile() && PACKAGE_EXTENSIONS.includes(path.extname(entry.name))) {
      found.push(relativePath);
    }
  }
}

/** True when `codeDirectory` exists and is a directory. */
export function isCodeDirectory(codeDirectory: string): boolean {
  return existsSync(codeDirectory) && statSync(codeDirectory).isDirectory();
}

/**
 * Reads a job's code from `codeDirectory`, in a fixed order so that synthesis is deterministic.
 * `include` lists files and folders relative to the directory: a file is uploaded as it is, a
 * folder contributes every `.py`/`.sql` file under it (no tests, caches, hidden folders or
 * virtual environments). Without `include` the whole directory is walked that way, plus its
 * `requirements.txt`. Missing entries are simply absent from the result; the caller decides how
 * loudly to report them.
 *
 * @default include - the whole directory
 */
export function collectJobCode(codeDirectory: string, include: readonly string[] = ["", JOB_REQUIREMENTS]): JobCodeFile[] {
  if (!isCodeDirectory(codeDirectory)) return [];
  const relativePaths = new Set<string>();
  for (const entry of include) {
    const relative = entry.replace(/\\/g, "/").replace(/^\.\/|\/$/g, "");
    const full = path.join(codeDirectory, ...relative.split("/").filter((part) => part !== ""));
    if (!existsSync(full)) continue;
    if (statSync(full).isDirectory()) {
      const found: string[] = [];
      walkPackage(codeDirectory, relative, found);
      found.forEach((file) => relativePaths.add(file));
    } else if (statSync(full).isFile()) {
      relativePaths.add(relative);
    }
  }
  return [...relativePaths].sort(compareNames).map((relativePath) => readJobFile(codeDirectory, relativePath));
}

/** One hash over every file's path and content: changes whenever any shipped file changes. */
export function codeVersion(files: readonly JobCodeFile[]): string {
  const hash = createHash("sha256");
  for (const file of files) hash.update(`${file.relativePath}\0${file.sha256}\n`);
  return hash.digest("hex");
}

/** The PyPI requirements of the job, split into pinned packages and lines that were left out. */
export interface JobRequirements {
  /** Pinned requirements such as `psycopg[binary]==3.3.9`, in file order. */
  readonly pinned: string[];
  /** Lines that are not a plain pinned requirement (options, ranges, markers), which are not installed. */
  readonly skipped: string[];
}

/** A name with optional extras, pinned with `==` to one version, and nothing else. */
const PINNED_REQUIREMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9][A-Za-z0-9.+!_-]*$/;

/**
 * Parses a pip requirements file. Only exact pins become cluster libraries, so a deploy always
 * installs the versions the ETL was tested with; anything else is reported back as skipped.
 */
export function parseRequirements(text: string): JobRequirements {
  const pinned: string[] = [];
  const skipped: string[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/(^|\s)#.*$/, "").trim();
    if (line === "") continue;
    const compact = line.replace(/\s+/g, "");
    if (PINNED_REQUIREMENT.test(compact)) pinned.push(compact);
    else skipped.push(line);
  }
  return { pinned, skipped };
}
