/**
 * Run records (`_runs/<run_id>.json`, DATA_CONTRACT.md): finding the latest successful run and
 * the quarter partitions it should have written. Reading is tolerant: unknown fields are ignored,
 * and partitions are taken from the record when it lists them, or derived from `scope`.
 */

export interface Quarter {
  readonly year: number;
  readonly quarter: number;
}

export interface RunRecord {
  readonly run_id: string;
  readonly scope?: string;
  readonly status?: string;
  readonly started_at?: string;
  readonly finished_at?: string;
  readonly rows_read?: number;
  readonly rows_valid?: number;
  readonly rows_quarantined?: number;
  readonly rows_duplicate?: number;
  readonly rows_out_of_scope?: number;
  readonly [extra: string]: unknown;
}

const SUCCESSFUL_STATUSES = new Set(["succeeded", "success"]);

export function quarterKey(quarter: Quarter): string {
  return `year=${quarter.year}/quarter=${quarter.quarter}`;
}

export function compareQuarters(a: Quarter, b: Quarter): number {
  return a.year - b.year || a.quarter - b.quarter;
}

function quarterOf(year: unknown, quarter: unknown): Quarter | undefined {
  const y = Number(year);
  const q = Number(quarter);
  return Number.isInteger(y) && y >= 1900 && y <= 9999 && Number.isInteger(q) && q >= 1 && q <= 4 ? { year: y, quarter: q } : undefined;
}

/** Reads "2022-Q3", "2022Q3", "2022-3" or a path containing "year=2022/quarter=3". */
export function parseQuarter(text: string): Quarter | undefined {
  const partition = /year=(\d{4})\/quarter=(\d)(?:\/|$)/.exec(text);
  if (partition) return quarterOf(partition[1], partition[2]);
  const label = /^\s*(\d{4})\s*-?\s*Q?(\d)\s*$/i.exec(text);
  return label ? quarterOf(label[1], label[2]) : undefined;
}

function quarterFromEntry(entry: unknown): Quarter | undefined {
  if (typeof entry === "string") return parseQuarter(entry);
  if (entry === null || typeof entry !== "object") return undefined;
  const fields = entry as Record<string, unknown>;
  if (fields.year !== undefined && fields.quarter !== undefined) {
    const direct = quarterOf(fields.year, fields.quarter);
    if (direct) return direct;
  }
  for (const key of ["partition", "path", "quarter", "name", "scope"]) {
    const value = fields[key];
    if (typeof value === "string") {
      const parsed = parseQuarter(value);
      if (parsed) return parsed;
    }
  }
  return undefined;
}

function quartersFromList(value: unknown): Quarter[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const quarters = value.map(quarterFromEntry).filter((q): q is Quarter => q !== undefined);
  return quarters.length > 0 ? uniqueQuarters(quarters) : undefined;
}

function uniqueQuarters(quarters: Quarter[]): Quarter[] {
  const byKey = new Map(quarters.map((q) => [quarterKey(q), q]));
  return [...byKey.values()].sort(compareQuarters);
}

/** Where the record lists partitions, for an area ("curated" or "features") or for the whole run. */
function listedQuarters(record: RunRecord, area: string): Quarter[] | undefined {
  const asObject = (value: unknown) => (value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
  const candidates: unknown[] = [];
  for (const key of ["partitions", "quarters"]) {
    const value = record[key];
    const perArea = asObject(value);
    candidates.push(perArea ? perArea[area] : value);
  }
  const areaSection = asObject(record[area]) ?? asObject(asObject(record.outputs)?.[area]);
  if (areaSection) candidates.push(areaSection.partitions, areaSection.quarters);
  for (const candidate of candidates) {
    const quarters = quartersFromList(candidate);
    if (quarters) return quarters;
  }
  return undefined;
}

export interface ExpectedPartitions {
  /** The quarters the run should have written, or undefined when the record cannot say (scope `all` without a list). */
  readonly quarters?: Quarter[];
  /** Where the expectation came from, for the report. */
  readonly source: string;
}

/** The quarter partitions a run record says should exist in an area. */
export function expectedPartitions(record: RunRecord, area: string): ExpectedPartitions {
  const listed = listedQuarters(record, area);
  if (listed) return { quarters: listed, source: "partitions listed in the run record" };
  const scope = typeof record.scope === "string" ? record.scope : "";
  const fromScope = parseQuarter(scope);
  if (fromScope) return { quarters: [fromScope], source: `scope ${scope}` };
  return { quarters: undefined, source: `scope ${scope || "(none)"}: the record lists no quarters, so every partition present must be non-empty` };
}

export function isSuccessful(record: RunRecord): boolean {
  return typeof record.status === "string" && SUCCESSFUL_STATUSES.has(record.status.trim().toLowerCase());
}

function finishedAtMillis(record: RunRecord): number {
  const millis = typeof record.finished_at === "string" ? Date.parse(record.finished_at) : NaN;
  return Number.isNaN(millis) ? -Infinity : millis;
}

/** The newest successful run by finished_at (ties broken by run_id), or undefined. */
export function latestSuccessfulRun(records: readonly RunRecord[]): RunRecord | undefined {
  return records
    .filter(isSuccessful)
    .reduce<RunRecord | undefined>((latest, record) => {
      if (latest === undefined) return record;
      const difference = finishedAtMillis(record) - finishedAtMillis(latest);
      if (difference !== 0) return difference > 0 ? record : latest;
      return record.run_id > latest.run_id ? record : latest;
    }, undefined);
}

/** Parses one run record file; undefined when it is not a JSON object with a run_id. */
export function parseRunRecord(text: string): RunRecord | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    return typeof record.run_id === "string" && record.run_id !== "" ? (record as RunRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** rows_read = rows_valid + rows_quarantined + rows_duplicate + rows_out_of_scope, when all are recorded. */
export function accountingHolds(record: RunRecord): boolean | undefined {
  const parts = [record.rows_read, record.rows_valid, record.rows_quarantined, record.rows_duplicate, record.rows_out_of_scope];
  if (!parts.every((part) => typeof part === "number" && Number.isFinite(part))) return undefined;
  const [read, valid, quarantined, duplicate, outOfScope] = parts as number[];
  return read === valid + quarantined + duplicate + outOfScope;
}
