/**
 * The policy gate of `npm run test:policy`: runs checkov and trivy over the synthesized stacks,
 * prints checks passed, failed and skipped per stack and scanner, writes JUnit and JSON reports,
 * and exits non-zero when any check fails or a scanner does not run cleanly.
 *
 * Each scanner runs twice. The gate run uses the project's exception files (`.checkov.yaml`,
 * `.trivyignore.yaml`) and decides pass or fail. The audit run ignores them; comparing the two
 * counts what the exceptions suppressed per stack (neither scanner reports that itself) and finds
 * exceptions that no longer suppress anything.
 *
 * CLI: `node lib/tools/policy-report.js --checkov <bin> --trivy <bin>` from the repository root
 * (scripts/policy.sh installs both scanners and synthesizes first).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";

export type Scanner = "checkov" | "trivy";

/** One check evaluated on one resource (checkov) or one stack (trivy). */
export interface Finding {
  readonly scanner: Scanner;
  readonly stack: string;
  readonly checkId: string;
  readonly title: string;
  readonly resource: string;
  /** File path as the scanner reports it, relative to the synthesis output. */
  readonly file: string;
  readonly passed: boolean;
}

/** An exception from `.checkov.yaml` or `.trivyignore.yaml`. */
export interface PolicyException {
  readonly scanner: Scanner;
  /** The entry as written, such as `CKV_AZURE_206:estate-dev/` or `AZU-0012`. */
  readonly entry: string;
  readonly checkId: string;
  /** Which files it applies to: a regex (checkov) or globs (trivy); undefined means every file. */
  readonly pathRegex?: RegExp;
  readonly pathGlobs?: readonly string[];
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export interface StackReport {
  readonly stack: string;
  readonly checkov: Counts;
  readonly trivy: Counts;
}

/** Name of the stack a scanned file belongs to: the directory under `stacks/`. */
export function stackOf(file: string): string | undefined {
  return /(?:^|\/)stacks\/([^/]+)/.exec(file)?.[1];
}

interface CheckovRecord {
  readonly check_id: string;
  readonly check_name: string;
  readonly file_path: string;
  readonly resource: string;
}

interface CheckovReport {
  readonly check_type: string;
  readonly results: {
    readonly passed_checks?: readonly CheckovRecord[];
    readonly failed_checks?: readonly CheckovRecord[];
    readonly skipped_checks?: readonly CheckovRecord[];
    readonly parsing_errors?: readonly string[];
  };
}

/**
 * Reads checkov's `-o json` output (one report object, or a list of them when several frameworks
 * ran; checkov prints a bare summary object when it found nothing to scan).
 */
export function parseCheckov(json: unknown, resourceTypes: ResourceTypeIndex = new Map()): { findings: Finding[]; skipped: Finding[]; parsingErrors: string[] } {
  const reports = (Array.isArray(json) ? json : [json]) as CheckovReport[];
  const findings: Finding[] = [];
  const skipped: Finding[] = [];
  const parsingErrors: string[] = [];
  const toFinding = (record: CheckovRecord, passed: boolean): Finding => {
    const stack = stackOf(record.file_path) ?? "(unknown)";
    return {
      scanner: "checkov",
      stack,
      checkId: record.check_id,
      title: record.check_name,
      resource: qualifiedResource(record.resource, resourceTypes.get(stack)),
      file: record.file_path,
      passed,
    };
  };
  for (const report of reports) {
    if (!report || typeof report !== "object" || !("results" in report)) continue;
    findings.push(...(report.results.passed_checks ?? []).map((r) => toFinding(r, true)));
    findings.push(...(report.results.failed_checks ?? []).map((r) => toFinding(r, false)));
    skipped.push(...(report.results.skipped_checks ?? []).map((r) => toFinding(r, false)));
    parsingErrors.push(...(report.results.parsing_errors ?? []));
  }
  return { findings, skipped, parsingErrors };
}

/** Resource type by resource name, per stack, read from the synthesized JSON. */
export type ResourceTypeIndex = Map<string, Map<string, string>>;

/** checkov names Terraform JSON resources `resource.<name>` for attribute checks; restore the type. */
function qualifiedResource(resource: string, types: Map<string, string> | undefined): string {
  const name = resource.startsWith("resource.") ? resource.slice("resource.".length) : undefined;
  const type = name === undefined ? undefined : types?.get(name);
  return type ? `${type}.${name}` : resource;
}

interface TrivyMisconfiguration {
  readonly ID: string;
  readonly AVDID?: string;
  readonly Title: string;
  readonly Status: "PASS" | "FAIL" | string;
  readonly CauseMetadata?: { readonly Resource?: string };
}

interface TrivyReport {
  readonly Results?: ReadonlyArray<{ readonly Target: string; readonly Misconfigurations?: readonly TrivyMisconfiguration[] }>;
}

/** Reads trivy's `--format json` output of `trivy config --include-non-failures`. */
export function parseTrivy(json: unknown): Finding[] {
  const findings: Finding[] = [];
  for (const result of (json as TrivyReport).Results ?? []) {
    for (const m of result.Misconfigurations ?? []) {
      findings.push({
        scanner: "trivy",
        stack: stackOf(result.Target) ?? "(unknown)",
        checkId: m.ID,
        title: m.Title,
        resource: m.CauseMetadata?.Resource || result.Target,
        file: result.Target,
        passed: m.Status === "PASS",
      });
    }
  }
  return findings;
}

/** Reads the `skip-check` entries of a checkov config file. */
export function checkovExceptions(configYaml: string): PolicyException[] {
  const config = (parseYaml(configYaml) ?? {}) as { "skip-check"?: string[] | string };
  const raw = config["skip-check"] ?? [];
  const entries = (Array.isArray(raw) ? raw : raw.split(",")).map((entry) => String(entry).trim()).filter(Boolean);
  return entries.map((entry) => {
    // checkov splits an entry on ":" into a check id and a regex searched in the file path.
    const parts = entry.split(":");
    return { scanner: "checkov" as const, entry, checkId: parts[0], pathRegex: parts.length === 2 ? new RegExp(parts[1]) : undefined };
  });
}

/** Reads the misconfiguration entries of a trivy ignore file. */
export function trivyExceptions(ignoreYaml: string): PolicyException[] {
  const config = (parseYaml(ignoreYaml) ?? {}) as { misconfigurations?: Array<{ id: string; paths?: string[] }> };
  return (config.misconfigurations ?? []).map((item) => ({
    scanner: "trivy" as const,
    entry: item.paths?.length ? `${item.id} (${item.paths.join(", ")})` : item.id,
    checkId: item.id,
    pathGlobs: item.paths,
  }));
}

function globToRegex(glob: string): RegExp {
  const pattern = glob
    .split("**")
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]"))
    .join(".*");
  return new RegExp(`^${pattern}$`);
}

/** True when an exception covers a finding, the way the scanner itself matches it. */
export function exceptionCovers(exception: PolicyException, finding: Finding): boolean {
  if (exception.scanner !== finding.scanner) return false;
  const idPattern = new RegExp(`^${exception.checkId.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
  if (!idPattern.test(finding.checkId)) return false;
  if (exception.pathRegex) return exception.pathRegex.test(finding.file);
  if (exception.pathGlobs?.length) return exception.pathGlobs.some((glob) => globToRegex(glob).test(finding.file.replace(/^\//, "")));
  return true;
}

/**
 * Per-stack counts: passed and failed from the gate run; skipped is what the audit run evaluated
 * beyond the gate run (checks the exceptions switched off or whose failures they hid).
 */
export function summarize(stacks: readonly string[], gate: readonly Finding[], audit: readonly Finding[], scannerSkipped: readonly Finding[] = []): StackReport[] {
  const count = (scanner: Scanner, stack: string): Counts => {
    const inGate = gate.filter((f) => f.scanner === scanner && f.stack === stack);
    const inAudit = audit.filter((f) => f.scanner === scanner && f.stack === stack);
    const reported = scannerSkipped.filter((f) => f.scanner === scanner && f.stack === stack).length;
    const passed = inGate.filter((f) => f.passed).length;
    const failed = inGate.length - passed;
    const auditFailed = inAudit.filter((f) => !f.passed).length;
    // checkov drops a skipped check entirely; trivy drops only the ignored failures.
    const skipped = scanner === "checkov" ? Math.max(0, inAudit.length - inGate.length) : Math.max(0, auditFailed - failed);
    return { passed, failed, skipped: skipped + reported };
  };
  return stacks.map((stack) => ({ stack, checkov: count("checkov", stack), trivy: count("trivy", stack) }));
}

/** Exceptions that hide no failure in the audit run: stale, or mistyped. */
export function unusedExceptions(exceptions: readonly PolicyException[], audit: readonly Finding[]): PolicyException[] {
  return exceptions.filter((exception) => !audit.some((finding) => !finding.passed && exceptionCovers(exception, finding)));
}

/** The per-stack table printed by `npm run test:policy`. */
export function formatTable(reports: readonly StackReport[]): string {
  const header = ["stack", "checkov passed", "failed", "skipped", "trivy passed", "failed", "skipped"];
  const rows = reports.map((r) => [r.stack, r.checkov.passed, r.checkov.failed, r.checkov.skipped, r.trivy.passed, r.trivy.failed, r.trivy.skipped].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** JUnit XML: one suite per scanner and stack, one case per check and resource. */
export function toJunit(reports: readonly StackReport[], findings: readonly Finding[]): string {
  const suites: string[] = [];
  for (const report of reports) {
    for (const scanner of ["checkov", "trivy"] as const) {
      const cases = findings.filter((f) => f.scanner === scanner && f.stack === report.stack);
      const counts = report[scanner];
      const body = cases
        .map((f) => {
          const name = escapeXml(`${f.checkId} ${f.resource}`);
          const failure = f.passed ? "" : `<failure message="${escapeXml(f.title)}">${escapeXml(`${f.checkId} failed on ${f.resource} in ${f.file}`)}</failure>`;
          return `    <testcase classname="${scanner}.${escapeXml(report.stack)}" name="${name}">${failure}</testcase>`;
        })
        .join("\n");
      suites.push(
        `  <testsuite name="${scanner} ${escapeXml(report.stack)}" tests="${cases.length}" failures="${counts.failed}" skipped="0">\n` +
          `    <properties><property name="suppressed-by-exceptions" value="${counts.skipped}"/></properties>\n${body}\n  </testsuite>`,
      );
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="policy">\n${suites.join("\n")}\n</testsuites>\n`;
}

/** Resource types by name for each synthesized stack, so findings show `type.name`. */
export function indexResourceTypes(outdir: string, stacks: readonly string[]): ResourceTypeIndex {
  const index: ResourceTypeIndex = new Map();
  for (const stack of stacks) {
    const config = JSON.parse(readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as { resource?: Record<string, Record<string, unknown>> };
    const types = new Map<string, string>();
    for (const [type, resources] of Object.entries(config.resource ?? {})) {
      for (const name of Object.keys(resources)) types.set(name, type);
    }
    index.set(stack, types);
  }
  return index;
}

interface ScanRun {
  readonly json: unknown;
  readonly exitCode: number;
  readonly seconds: number;
  readonly stderr: string;
}

function run(command: string, args: string[], cwd: string, outputFile?: string): ScanRun {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.error) throw new Error(`could not run ${command}: ${result.error.message}`);
  const text = outputFile ? readFileSync(outputFile, "utf8") : result.stdout;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path.basename(command)} ${args[0]} exited ${result.status} without a JSON report:\n${(result.stderr || result.stdout).slice(-2000)}`);
  }
  return { json, exitCode: result.status ?? -1, seconds, stderr: result.stderr };
}

/**
 * A copy of the synthesized stacks (same `stacks/<name>/cdk.tf.json` layout) for checkov, without
 * `terraform.required_version`: checkov 3.x's Terraform JSON parser (checkov/terraform_json/
 * parser.py, `handle_block_type`) takes every key of the `terraform` block for a nested block and
 * refuses a plain attribute ("this method receives only dicts"), so it would parse nothing. No
 * check reads the attribute; it only constrains the Terraform CLI. Returns the copy's directory.
 */
export function copyForCheckov(outdir: string, stacks: readonly string[], into: string): string {
  for (const stack of stacks) {
    const config = JSON.parse(readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as { terraform?: Record<string, unknown> };
    if (config.terraform) delete config.terraform.required_version;
    mkdirSync(path.join(into, "stacks", stack), { recursive: true });
    writeFileSync(path.join(into, "stacks", stack, "cdk.tf.json"), JSON.stringify(config, null, 2));
  }
  return into;
}

function main(): number {
  const { values } = parseArgs({
    options: {
      checkov: { type: "string", default: "checkov" },
      trivy: { type: "string", default: "trivy" },
      outdir: { type: "string", default: "cdktf.out" },
      "checkov-config": { type: "string", default: ".checkov.yaml" },
      "trivy-ignore": { type: "string", default: ".trivyignore.yaml" },
      "reports-dir": { type: "string", default: process.env.REPORTS_DIR ?? "reports" },
    },
  });
  const root = process.cwd();
  const outdir = path.resolve(root, values.outdir);
  const reportsDir = path.resolve(root, values["reports-dir"]);
  mkdirSync(reportsDir, { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, unknown> };
  const stacks = Object.keys(manifest.stacks).sort();
  const resourceTypes = indexResourceTypes(outdir, stacks);
  const problems: string[] = [];

  // checkov also reads `.checkov.yaml` from its working directory, so the audit runs elsewhere.
  const auditDir = mkdtempSync(path.join(os.tmpdir(), "policy-audit-"));
  try {
    const checkovInput = copyForCheckov(outdir, stacks, path.join(auditDir, "cdktf.out"));
    const checkovGate = run(values.checkov, ["-d", checkovInput, "--config-file", path.resolve(root, values["checkov-config"]), "-o", "json"], root);
    const checkovAudit = run(values.checkov, ["-d", checkovInput, "--framework", "terraform_json", "--skip-download", "--compact", "-o", "json"], auditDir);
    const trivyArgs = ["config", "--skip-check-update", "--severity", "HIGH,CRITICAL", "--include-non-failures", "--quiet", "--format", "json"];
    const trivyGateFile = path.join(reportsDir, "trivy.json");
    const trivyGate = run(values.trivy, [...trivyArgs, "--exit-code", "1", "--ignorefile", path.resolve(root, values["trivy-ignore"]), "--output", trivyGateFile, outdir], root, trivyGateFile);
    const trivyAuditFile = path.join(auditDir, "trivy-audit.json");
    const trivyAudit = run(values.trivy, [...trivyArgs, "--output", trivyAuditFile, outdir], auditDir, trivyAuditFile);
    writeFileSync(path.join(reportsDir, "checkov.json"), JSON.stringify(checkovGate.json, null, 1));

    const gate = parseCheckov(checkovGate.json, resourceTypes);
    const audit = parseCheckov(checkovAudit.json, resourceTypes);
    problems.push(...gate.parsingErrors.map((file) => `checkov could not parse ${file}`));
    if (![0, 1].includes(checkovGate.exitCode)) problems.push(`checkov exited ${checkovGate.exitCode}: ${checkovGate.stderr.slice(-500)}`);
    if (![0, 1].includes(trivyGate.exitCode)) problems.push(`trivy exited ${trivyGate.exitCode}: ${trivyGate.stderr.slice(-500)}`);
    const gateFindings = [...gate.findings, ...parseTrivy(trivyGate.json)];
    const auditFindings = [...audit.findings, ...parseTrivy(trivyAudit.json)];
    const reports = summarize(stacks, gateFindings, auditFindings, gate.skipped);
    for (const report of reports) {
      for (const scanner of ["checkov", "trivy"] as const) {
        if (report[scanner].passed + report[scanner].failed === 0) problems.push(`${scanner} evaluated no checks on ${report.stack}`);
      }
    }
    if (trivyGate.exitCode === 1 && reports.every((r) => r.trivy.failed === 0)) problems.push("trivy reported failures that the JSON report does not show");

    const exceptions = [
      ...checkovExceptions(readFileSync(path.resolve(root, values["checkov-config"]), "utf8")),
      ...trivyExceptions(readFileSync(path.resolve(root, values["trivy-ignore"]), "utf8")),
    ];
    const unused = unusedExceptions(exceptions, auditFindings);
    const failures = gateFindings.filter((f) => !f.passed);

    console.log(formatTable(reports));
    if (failures.length > 0) {
      console.log(`\n${failures.length} failed check${failures.length === 1 ? "" : "s"}:`);
      for (const f of failures) console.log(`  ${f.scanner} ${f.checkId} ${f.stack} ${f.resource}: ${f.title}`);
    }
    for (const exception of unused) console.log(`warning: ${exception.scanner} exception ${exception.entry} hides no failure; remove it if the estate now passes`);
    for (const problem of problems) console.log(`error: ${problem}`);
    const timings = {
      checkovGateSeconds: round(checkovGate.seconds),
      checkovAuditSeconds: round(checkovAudit.seconds),
      trivyGateSeconds: round(trivyGate.seconds),
      trivyAuditSeconds: round(trivyAudit.seconds),
    };
    console.log(`\ncheckov ${timings.checkovGateSeconds}s (+${timings.checkovAuditSeconds}s audit), trivy ${timings.trivyGateSeconds}s (+${timings.trivyAuditSeconds}s audit); reports in ${path.relative(root, reportsDir) || "."}/policy.{xml,json}`);

    writeFileSync(path.join(reportsDir, "policy.xml"), toJunit(reports, gateFindings));
    writeFileSync(
      path.join(reportsDir, "policy.json"),
      JSON.stringify({ stacks: reports, failures, unusedExceptions: unused.map((e) => `${e.scanner} ${e.entry}`), problems, timings }, null, 2) + "\n",
    );
    return failures.length > 0 || problems.length > 0 ? 1 : 0;
  } finally {
    rmSync(auditDir, { recursive: true, force: true });
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (error) {
    console.error(`policy-report: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
