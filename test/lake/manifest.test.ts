/**
 * The quarter manifest's shape: the lake CLI's own check (src/lake/manifest.ts, no schema library at
 * run time) gives the same verdict as ajv with the JSON Schema the ETL's tests use
 * (spark/bank_etl/schemas/quarter-manifest.schema.json), on valid manifests and broken ones.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { isQuarterManifest, manifestBlobName, manifestProblems } from "../../src/lake/manifest";

const schemaPath = join(__dirname, "..", "..", "spark", "bank_etl", "schemas", "quarter-manifest.schema.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
const validateWithSchema = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

function manifest(): Record<string, unknown> {
  return {
    schema_version: 1,
    quarter: "2022-Q3",
    run_id: "20261001T020000Z-5f3a1b2c",
    published_at: "2026-10-01T02:06:41.870123Z",
    input: { path: "abfss://landing@stbankprod.dfs.core.windows.net/bank/transactions/bankdataset.csv", sha256: "a".repeat(64), rows: 1004480 },
    counts: { valid: 251120, quarantined: { malformed: 0, bad_date: 0, bad_domain: 0, bad_location: 0, bad_value: 0, bad_transaction_count: 0 }, duplicates: 0 },
    delta: { "curated.transactions": 0, "features.quarterly": 0, "ops.quarantine": 0 },
    postgres: { "bank.transactions": "bank.transactions_2022_q3" },
    code_version: "b".repeat(64),
  };
}

type Change = (m: Record<string, unknown>) => void;
const nested = (m: Record<string, unknown>, key: string) => m[key] as Record<string, unknown>;

const cases: [string, Change, boolean][] = [
  ["a manifest as the job writes it", () => undefined, true],
  ["a run id of a test", (m) => (m.run_id = "failing-pg-run"), true],
  ["a time without fractions", (m) => (m.published_at = "2026-10-01T02:06:41Z"), true],
  ["another schema's partition", (m) => (m.postgres = { "t_1a2b.transactions": "t_1a2b.transactions_2022_q3" }), true],
  ["large counts", (m) => (nested(m, "input").rows = 10_044_800), true],
  ["no code_version", (m) => delete m.code_version, false],
  ["an extra field", (m) => (m.extra = true), false],
  ["schema version 2", (m) => (m.schema_version = 2), false],
  ["schema version as text", (m) => (m.schema_version = "1"), false],
  ["the quarter as in the file name", (m) => (m.quarter = "2022Q3"), false],
  ["quarter 5", (m) => (m.quarter = "2022-Q5"), false],
  ["an empty run id", (m) => (m.run_id = ""), false],
  ["a run id with a slash", (m) => (m.run_id = "../x"), false],
  ["a run id of 201 characters", (m) => (m.run_id = "r".repeat(201)), false],
  ["a local time", (m) => (m.published_at = "2026-10-01T04:06:41+02:00"), false],
  ["a date without time", (m) => (m.published_at = "2026-10-01"), false],
  ["an upper-case checksum", (m) => (nested(m, "input").sha256 = "A".repeat(64)), false],
  ["an empty input path", (m) => (nested(m, "input").path = ""), false],
  ["an input field more", (m) => (nested(m, "input").size = 1), false],
  ["no input rows", (m) => delete nested(m, "input").rows, false],
  ["input as text", (m) => (m.input = "bankdataset.csv"), false],
  ["a negative count", (m) => (nested(m, "counts").valid = -1), false],
  ["a fractional count", (m) => (nested(m, "counts").duplicates = 1.5), false],
  ["a count as text", (m) => (nested(m, "counts").valid = "251120"), false],
  ["an unknown reason", (m) => (nested(nested(m, "counts"), "quarantined").bad_mood = 1), false],
  ["a reason left out", (m) => delete nested(nested(m, "counts"), "quarantined").bad_value, false],
  ["quarantined as a number", (m) => (nested(m, "counts").quarantined = 0), false],
  ["a Delta table left out", (m) => delete nested(m, "delta")["ops.quarantine"], false],
  ["a Delta table more", (m) => (nested(m, "delta")["ops.other"] = 1), false],
  ["a version as text", (m) => (nested(m, "delta")["curated.transactions"] = "4"), false],
  ["a negative version", (m) => (nested(m, "delta")["features.quarterly"] = -1), false],
  ["no partition", (m) => (m.postgres = {}), false],
  ["an unqualified table", (m) => (m.postgres = { transactions: "bank.transactions_2022_q3" }), false],
  ["an unqualified partition", (m) => (m.postgres = { "bank.transactions": "transactions_2022_q3" }), false],
  ["a partition as a number", (m) => (m.postgres = { "bank.transactions": 3 }), false],
  ["a short code version", (m) => (m.code_version = "b".repeat(63)), false],
  ["an array", (m) => Object.assign(m, { __array: true }), false],
];

describe("the quarter manifest's shape", () => {
  it.each(cases)("%s: the CLI's check and the JSON Schema agree", (_name, change, expected) => {
    const value = manifest();
    change(value);
    const candidate = value.__array ? [value] : value;

    expect(validateWithSchema(candidate)).toBe(expected);
    expect(isQuarterManifest(candidate)).toBe(expected);
    expect(manifestProblems(candidate).length === 0).toBe(expected);
  });

  it("names the field in each problem", () => {
    const value = manifest();
    delete value.run_id;
    nested(value, "counts").valid = -3;

    expect(manifestProblems(value)).toEqual(['/: missing "run_id"', "/counts/valid: must be a whole number >= 0"]);
    expect(manifestProblems("text")).toEqual(["/: must be a JSON object"]);
  });

  it("lives at export/_manifests/<YYYY>Q<n>.json, under a pipeline's folder if it has one", () => {
    expect(manifestBlobName({ year: 2022, quarter: 3 })).toBe("export/_manifests/2022Q3.json");
    expect(manifestBlobName({ year: 2022, quarter: 4 }, "/payments")).toBe("payments/export/_manifests/2022Q4.json");
  });
});
