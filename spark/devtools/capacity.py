"""The capacity model of docs/scaling.md: from a local benchmark's measurements (bench-etl's report)
and Azure's documented limits, each stage's time and what PostgreSQL needs (disk, throughput, IOPS)
for 1 M, 100 M and 1 B rows per quarter; prints the table and writes the figure (SVG).

    python -m devtools.capacity docs/scaling-measured.json --svg docs/scaling.svg

Assumptions, stated once: a cluster core does the work of one core of the measuring machine; the
COPY is bound by the rows one PostgreSQL session writes per second (one backend per session, one
core each), by the writer sessions (at most 8, MAX_WRITER_SESSIONS, and at most the server's vCores)
and by the server's disk throughput, whichever is lowest; what PostgreSQL writes per row (table,
indexes, WAL) scales with the rows; one run loads one quarter (the scheduled job).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_WRITER_SESSIONS = 8  # bank_etl.job.MAX_WRITER_SESSIONS
QUARTERS_KEPT = 8  # two years of quarters in PostgreSQL
DISK_HEADROOM = 0.8  # autogrow starts at 20 % free below 1 TiB; the server turns read-only at 95 %
MIB = 1 << 20
GIB = 1 << 30


@dataclass(frozen=True)
class Server:
    """An Azure Database for PostgreSQL flexible server SKU: vCores and its IOPS and I/O bandwidth
    limits (Microsoft Learn, "Compute options in Azure Database for PostgreSQL", the table of server
    types)."""

    name: str
    vcores: int
    max_iops: int
    max_mib_per_second: int


@dataclass(frozen=True)
class Disk:
    """Premium SSD as the flexible server provisions it (Microsoft Learn, "Storage options": IOPS by
    disk size; Azure managed disks, "Premium SSD sizes": throughput)."""

    name: str
    gib: int
    iops: int
    mb_per_second: int


SERVERS = (
    Server("B2ms", 2, 1_920, 22),
    Server("D2ds_v5", 2, 3_750, 85),
    Server("D4ds_v5", 4, 6_400, 145),
    Server("D8ds_v5", 8, 12_800, 290),
    Server("D16ds_v5", 16, 25_600, 600),
    Server("D32ds_v5", 32, 51_200, 865),
)
DISKS = (
    Disk("P10", 128, 500, 100), Disk("P15", 256, 1_100, 125), Disk("P20", 512, 2_300, 150),
    Disk("P30", 1024, 5_000, 200), Disk("P40", 2048, 7_500, 250), Disk("P50", 4095, 7_500, 250),
    Disk("P60", 8192, 16_000, 500),
)


@dataclass(frozen=True)
class Measured:
    """Per row and per core, from one local run (bench-etl's report, one run)."""

    rows: int
    cores: int
    input_bytes_per_row: float
    validate_rows_per_core_second: float  # extract + validate + transform (the passes over the input)
    lake_rows_per_core_second: float  # write lake
    copy_rows_per_session_second: float  # one PostgreSQL session's COPY
    table_bytes_per_row: float  # transactions partition: heap, TOAST, indexes
    wal_bytes_per_row: float
    page_writes_per_row: float  # 8 KiB data pages plus WAL writes, per row
    swap_lock_seconds: float
    reader_longest_query_seconds: float
    peak_memory_bytes: int

    @classmethod
    def from_report(cls, report: dict) -> "Measured":
        run = report["runs"][0] if "runs" in report else report
        stages, rows, cores = run["etl_stage_seconds"], run["rows_read"], report.get("cores", 2)
        copies = run.get("copy_tasks") or {}
        transactions = next((v for k, v in copies.items() if k.endswith("_transactions")), None)
        postgres = run["postgres"]
        valid = run["rows_valid"]
        validate = stages["extract"] + stages["validate"] + stages["transform"]
        return cls(
            rows=rows, cores=cores, input_bytes_per_row=run["input_bytes"] / rows,
            validate_rows_per_core_second=rows / (validate * cores),
            lake_rows_per_core_second=valid / (stages["write lake"] * cores),
            copy_rows_per_session_second=transactions["rows"] / transactions["session_seconds"],
            table_bytes_per_row=postgres["transactions_bytes"] / valid,
            wal_bytes_per_row=postgres["wal_bytes"] / valid,
            page_writes_per_row=(postgres["data_page_writes"] + postgres["wal_writes"]) / valid,
            swap_lock_seconds=(run.get("swap") or {}).get("transactions_locked_seconds") or 0.0,
            reader_longest_query_seconds=run.get("reader_longest_query_seconds", 0.0),
            peak_memory_bytes=run.get("etl_peak_memory_bytes", 0),
        )


@dataclass(frozen=True)
class Plan:
    rows: int
    workers: int  # Standard_D8ds_v5 workers, 8 cores each, a fixed number for the load
    server: Server
    detail: bool  # --pg-detail rows (True) or aggregates


PLANS = (
    Plan(1_000_000, 1, SERVERS[1], True),
    Plan(100_000_000, 4, SERVERS[3], True),
    Plan(1_000_000_000, 16, SERVERS[4], False),
)
WORKER_CORES = 8


def disk_for(gib_needed: float) -> Disk:
    return next((d for d in DISKS if d.gib >= gib_needed), DISKS[-1])


def model(measured: Measured, plan: Plan) -> dict[str, object]:
    cores = plan.workers * WORKER_CORES
    rows_in_pg = plan.rows if plan.detail else 0
    bytes_per_row = measured.table_bytes_per_row + measured.wal_bytes_per_row
    table_gib = rows_in_pg * measured.table_bytes_per_row / GIB
    disk = disk_for(max(32.0, table_gib * (QUARTERS_KEPT + 1) / DISK_HEADROOM))
    sessions = min(MAX_WRITER_SESSIONS, plan.server.vcores)
    disk_rows_per_second = min(plan.server.max_mib_per_second * MIB, disk.mb_per_second * 1_000_000) / bytes_per_row
    copy_rate = min(measured.copy_rows_per_session_second * sessions, disk_rows_per_second)
    stages = {
        "read, validate, transform": plan.rows / (measured.validate_rows_per_core_second * cores),
        "load postgres": rows_in_pg / copy_rate if rows_in_pg else 5.0,
        "write lake": plan.rows / (measured.lake_rows_per_core_second * cores),
        "publish (swap)": 1.0 + measured.swap_lock_seconds,
    }
    return {
        "rows": plan.rows, "workers": plan.workers, "server": plan.server.name, "detail": plan.detail,
        "stages_seconds": stages, "total_seconds": sum(stages.values()), "sessions": sessions,
        "copy_rows_per_second": copy_rate if rows_in_pg else 0.0,
        "pg_table_gib_per_quarter": table_gib, "disk": disk,
        "write_mib_per_second": (copy_rate * bytes_per_row / MIB) if rows_in_pg else 0.0,
        # PostgreSQL writes 8 KiB pages (the measured count is the most IOPS, nothing merged); a
        # managed disk counts each I/O of up to 256 KiB as one, so merged writes need the fewest.
        "write_iops": (copy_rate * measured.page_writes_per_row) if rows_in_pg else 0.0,
        "write_iops_merged": (copy_rate * bytes_per_row / (256 * 1024)) if rows_in_pg else 0.0,
        "bound_by": ("disk throughput" if disk_rows_per_second < measured.copy_rows_per_session_second * sessions
                     else f"{sessions} writer sessions") if rows_in_pg else "no rows to PostgreSQL",
    }


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def table(results: list[dict]) -> str:
    lines = ["| rows per quarter | cluster (D8ds_v5 workers) | PostgreSQL | PostgreSQL gets | read, validate, transform | "
             "load postgres | write lake | publish | PostgreSQL disk per quarter / provisioned | write MiB/s | write IOPS (256 KiB merged to 8 KiB pages) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        s = r["stages_seconds"]
        lines.append(
            f"| {r['rows']:,} | {r['workers']} x 8 cores | {r['server']} + {r['disk'].name} ({r['disk'].gib} GiB, "
            f"{r['disk'].iops:,} IOPS, {r['disk'].mb_per_second} MB/s) | {'every row' if r['detail'] else 'aggregates'} | "
            f"{duration(s['read, validate, transform'])} | {duration(s['load postgres'])} ({r['bound_by']}) | "
            f"{duration(s['write lake'])} | {duration(s['publish (swap)'])} | {r['pg_table_gib_per_quarter']:.1f} GiB / "
            f"{r['disk'].gib} GiB | {r['write_mib_per_second']:.0f} | {r['write_iops_merged']:,.0f} to {r['write_iops']:,.0f} |")
    return "\n".join(lines)


COLOURS = {"read, validate, transform": "#4e79a7", "load postgres": "#f28e2b", "write lake": "#59a14f",
           "publish (swap)": "#e15759"}


def svg(results: list[dict], measured: Measured) -> str:
    """One row per size: the stages as a bar (time runs left to right, each row on its own scale,
    the total written at its end) and what to provision."""
    width, row_height, left, bar_width = 980, 92, 150, 470
    height = 70 + row_height * len(results) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           'font-size="13">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           '<text x="20" y="28" font-size="17" font-weight="bold">The quarterly job at 1 M, 100 M and 1 B rows '
           'per quarter: time per stage and what to provision</text>',
           f'<text x="20" y="50" fill="#555">Modelled from a measured local run of {measured.rows:,} rows '
           f'(docs/scaling.md); each bar on its own time scale.</text>']
    y = 70
    for r in results:
        total = r["total_seconds"]
        out.append(f'<text x="20" y="{y + 22}" font-weight="bold">{r["rows"]:,} rows</text>')
        out.append(f'<text x="20" y="{y + 40}" fill="#555">{r["workers"]} x D8ds_v5</text>')
        x = left
        for stage, seconds in r["stages_seconds"].items():
            w = max(1.5, bar_width * seconds / total)
            out.append(f'<rect x="{x:.1f}" y="{y + 8}" width="{w:.1f}" height="26" fill="{COLOURS[stage]}">'
                       f'<title>{stage}: {duration(seconds)}</title></rect>')
            if w > 60:
                out.append(f'<text x="{x + 4:.1f}" y="{y + 26}" fill="white" font-size="11">{duration(seconds)}</text>')
            x += w
        out.append(f'<text x="{left + bar_width + 8}" y="{y + 26}">{duration(total)}</text>')
        pg = (f'PostgreSQL {r["server"]}, {r["disk"].name} {r["disk"].gib} GiB: '
              + (f'{r["pg_table_gib_per_quarter"]:.1f} GiB a quarter, {r["write_mib_per_second"]:.0f} MiB/s, '
                 f'{r["write_iops"]:,.0f} IOPS while loading' if r["detail"] else 'features only (--pg-detail aggregates)'))
        out.append(f'<text x="{left}" y="{y + 56}" fill="#333" font-size="12">{pg}</text>')
        y += row_height
    x = left
    for stage, colour in COLOURS.items():
        out.append(f'<rect x="{x}" y="{y + 4}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 16}" y="{y + 15}" font-size="12">{stage}</text>')
        x += 16 + 8 * len(stage) + 20
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="capacity", description=__doc__.split("\n\n")[0])
    parser.add_argument("report", help="bench-etl's report (reports/bench-etl.json) of the measuring run")
    parser.add_argument("--svg", help="write the figure here")
    args = parser.parse_args(argv)
    measured = Measured.from_report(json.loads(Path(args.report).read_text()))
    results = [model(measured, plan) for plan in PLANS]
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in measured.__dict__.items()}, indent=2))
    print(table(results))
    if args.svg:
        Path(args.svg).write_text(svg(results, measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
