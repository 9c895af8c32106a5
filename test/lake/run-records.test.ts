import { accountingHolds, expectedPartitions, latestSuccessfulRun, parseQuarter, parseRunRecord, RunRecord } from "../../src/lake/run-records";

const record = (fields: Partial<RunRecord> & Record<string, unknown>): RunRecord => ({ run_id: "r", status: "succeeded", ...fields });

describe("run records", () => {
  it("reads quarters written as labels or partition paths", () => {
    expect(parseQuarter("2022-Q3")).toEqual({ year: 2022, quarter: 3 });
    expect(parseQuarter("2022q1")).toEqual({ year: 2022, quarter: 1 });
    expect(parseQuarter("features/quarterly/year=2023/quarter=4/")).toEqual({ year: 2023, quarter: 4 });
    expect(parseQuarter("2022-Q5")).toBeUndefined();
    expect(parseQuarter("all")).toBeUndefined();
  });

  it("derives the expected quarter from a single-quarter scope", () => {
    expect(expectedPartitions(record({ scope: "2022-Q3" }), "curated")).toEqual({ quarters: [{ year: 2022, quarter: 3 }], source: "scope 2022-Q3" });
  });

  it("prefers the partitions the record lists, per area when it splits them", () => {
    const perArea = record({ scope: "all", partitions: { curated: ["2022-Q1", "2022-Q2"], features: [{ year: 2022, quarter: 2 }] } });

    expect(expectedPartitions(perArea, "curated").quarters).toEqual([{ year: 2022, quarter: 1 }, { year: 2022, quarter: 2 }]);
    expect(expectedPartitions(perArea, "features").quarters).toEqual([{ year: 2022, quarter: 2 }]);
  });

  it("reads per-partition detail objects and ignores their extra fields", () => {
    const detailed = record({ scope: "all", quarters: [{ partition: "year=2022/quarter=4", rows: 250000 }, { quarter: "2022-Q1", rows: 1 }] });

    expect(expectedPartitions(detailed, "features").quarters).toEqual([{ year: 2022, quarter: 1 }, { year: 2022, quarter: 4 }]);
  });

  it("cannot name the quarters of scope all without a list", () => {
    expect(expectedPartitions(record({ scope: "all" }), "curated").quarters).toBeUndefined();
  });

  it("picks the newest successful run by finished_at", () => {
    const latest = latestSuccessfulRun([
      record({ run_id: "a", finished_at: "2026-07-01T00:00:00Z" }),
      record({ run_id: "b", finished_at: "2026-10-01T00:00:00Z", status: "Success" }),
      record({ run_id: "c", finished_at: "2026-12-01T00:00:00Z", status: "failed" }),
      record({ run_id: "d", finished_at: "not a date" }),
    ]);

    expect(latest?.run_id).toBe("b");
  });

  it("has no latest run when none succeeded", () => {
    expect(latestSuccessfulRun([record({ status: "running" })])).toBeUndefined();
  });

  it("parses only JSON objects with a run_id", () => {
    expect(parseRunRecord('{"run_id":"x","extra":{"nested":true}}')).toEqual({ run_id: "x", extra: { nested: true } });
    expect(parseRunRecord("[1,2]")).toBeUndefined();
    expect(parseRunRecord("{oops")).toBeUndefined();
    expect(parseRunRecord('{"status":"succeeded"}')).toBeUndefined();
  });

  it("checks the row accounting identity when all counts are recorded", () => {
    const counts = { rows_read: 10, rows_valid: 6, rows_quarantined: 2, rows_duplicate: 1, rows_out_of_scope: 1 };

    expect(accountingHolds(record(counts))).toBe(true);
    expect(accountingHolds(record({ ...counts, rows_read: 11 }))).toBe(false);
    expect(accountingHolds(record({ rows_read: 10 }))).toBeUndefined();
  });
});
