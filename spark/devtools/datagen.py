"""Deterministic generator of a landing file shaped like the published "Massive Bank Dataset".

Default: 1,004,480 rows over 2022 (2,752 a day), 7 domains in the source's spelling (RESTRAUNT),
46 Indian cities, Value uniform in [500000, 1000000] (mean 750,000), Transaction_count uniform in
[950, 2000] (mean 1,475), dates written M/D/YYYY. The same seed always gives the same bytes.

--messy replaces some rows with faults of every reason code, writes some valid rows in other
accepted spellings (ISO dates, lower case, extra spaces, 365554.0), and appends a re-delivered
block of copies of earlier rows (duplicates). A sidecar <file>.expected.json holds the counts the
ETL must report for the file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

PUBLISHED_ROWS = 1_004_480
HEADER = ["Date", "Domain", "Location", "Value", "Transaction_count"]
SOURCE_DOMAINS = ["RESTRAUNT", "INVESTMENTS", "RETAIL", "INTERNATIONAL", "PUBLIC", "MEDICAL", "EDUCATION"]
CITIES = [
    "Bhuj", "Ludhiana", "Goa", "Mumbai", "Delhi", "Kolkata", "Chennai", "Bangalore", "Hyderabad", "Pune",
    "Ahmedabad", "Surat", "Jaipur", "Lucknow", "Kanpur", "Nagpur", "Indore", "Thane", "Bhopal", "Patna",
    "Vadodara", "Ghaziabad", "Agra", "Nashik", "Faridabad", "Meerut", "Rajkot", "Varanasi", "Srinagar",
    "Amritsar", "Allahabad", "Ranchi", "Howrah", "Jabalpur", "Gwalior", "Vijayawada", "Jodhpur", "Madurai",
    "Raipur", "Kota", "Chandigarh", "Guwahati", "Solapur", "Mysore", "Dehradun", "Udaipur",
]
REASONS = ["malformed", "bad_date", "bad_domain", "bad_location", "bad_value", "bad_transaction_count"]
FAULTS = {
    "bad_date": ["2022-13-01", "2/30/2022", "31/12/2022", "2022/01/05", "yesterday", "", "2022-01-01T00:00:00"],
    "bad_domain": ["GROCERY", "", "RESTAURANTS", "RETAIL STORE"],
    "bad_location": ["", "   ", "\t"],
    "bad_value": ["-5", "12.5", "1e5", "abc", "1,000", "", "99999999999999999999"],
    "bad_transaction_count": ["0", "-1", "2.5", "", "x", "0.0"],
}
FAULT_EVERY = 400  # about 0.25 % of rows carry a fault
VARIANT_EVERY = 150  # about 0.7 % of valid rows use another accepted spelling
REDELIVER_EVERY = 900  # about 0.1 % of valid rows are delivered again at the end


@dataclass
class Expected:
    rows_read: int = 0
    rows_valid: int = 0
    rows_duplicate: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=lambda: {r: 0 for r in REASONS})
    valid_by_quarter: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_quarantined": sum(self.quarantined_by_reason.values()),
            "rows_duplicate": self.rows_duplicate,
            "quarantined_by_reason": self.quarantined_by_reason,
            "valid_by_quarter": dict(sorted(self.valid_by_quarter.items())),
        }


def us_date(day: dt.date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _variant(rng: random.Random, row: list, day: dt.date) -> list:
    """The same record in another accepted spelling; it normalises to the original."""
    row = list(row)
    choice = int(rng.random() * 5)
    if choice == 0:
        row[0] = day.isoformat() + (" 00:00:00" if rng.random() < 0.5 else "")
    elif choice == 1:
        row[1] = "  " + row[1].lower() + " "
    elif choice == 2:
        row[2] = "  " + row[2].upper() + "  "
    elif choice == 3:
        row[3] = f"{row[3]}.0"
    else:
        row[4] = f" {row[4]}.0"
    return row


def _fault(rng: random.Random, row: list, reason: str) -> list:
    row = list(row)
    if reason == "malformed":
        return row + ["extra"] if rng.random() < 0.5 else row[:4]
    options = FAULTS[reason]
    text = options[int(rng.random() * len(options))]
    row[{"bad_date": 0, "bad_domain": 1, "bad_location": 2, "bad_value": 3, "bad_transaction_count": 4}[reason]] = text
    return row


def generate_rows(rows: int, seed: int, messy: bool, expected: Expected, year: int = 2022):
    """Yields (day index, row) in file order."""
    rng = random.Random(seed)
    start = dt.date(year, 1, 1)
    days = [start + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - start).days)]
    per_day, extra = divmod(rows, len(days))
    redelivered: list[list] = []
    serial = 0
    for index, day in enumerate(days):
        date_text = us_date(day)
        quarter_key = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        seen: set[tuple[int, int, int, int]] = set()
        for _ in range(per_day + (1 if index < extra else 0)):
            while True:
                d, c = int(rng.random() * 7), int(rng.random() * 46)
                value, count = 500_000 + int(rng.random() * 500_001), 950 + int(rng.random() * 1051)
                key = (d, c, value, count)
                if key not in seen:
                    seen.add(key)
                    break
            row = [date_text, SOURCE_DOMAINS[d], CITIES[c], str(value), str(count)]
            serial += 1
            expected.rows_read += 1
            if messy and serial % FAULT_EVERY == 0:
                reason = REASONS[(serial // FAULT_EVERY) % len(REASONS)]
                expected.quarantined_by_reason[reason] += 1
                yield index, _fault(rng, row, reason)
                continue
            expected.rows_valid += 1
            expected.valid_by_quarter[quarter_key] = expected.valid_by_quarter.get(quarter_key, 0) + 1
            if messy and serial % VARIANT_EVERY == 7:
                row_out = _variant(rng, row, day)
            else:
                row_out = row
            if messy and serial % REDELIVER_EVERY == 3:
                redelivered.append(_variant(rng, row, day) if rng.random() < 0.5 else row)
            yield index, row_out
    for row in redelivered:
        expected.rows_read += 1
        expected.rows_duplicate += 1
        yield len(days) - 1, row


def write_csv(path: Path, rows, total: int, bom: bool, progress: bool) -> None:
    bar = _bar(total, progress, path.name.removesuffix(".partial"))
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        batch = []
        for _, row in rows:
            batch.append(row)
            if len(batch) == 20_000:
                writer.writerows(batch)
                bar.update(len(batch))
                batch.clear()
        writer.writerows(batch)
        bar.update(len(batch))
    bar.close()


def write_xlsx(path: Path, rows, total: int, progress: bool) -> None:
    """First sheet, header row; clean dates as real date cells and clean numbers as numbers,
    everything else (faults, other spellings) as text, as a hand-edited workbook would hold."""
    import xlsxwriter

    bar = _bar(total, progress, path.name.removesuffix(".partial"))
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("bankdataset")
    date_format = workbook.add_format({"num_format": "m/d/yyyy"})
    sheet.write_row(0, 0, HEADER)
    for line, (_, row) in enumerate(rows, start=1):
        for col, text in enumerate(row):
            if col == 0 and _is_us_date(text):
                month, day, year = (int(p) for p in text.split("/"))
                sheet.write_datetime(line, 0, dt.datetime(year, month, day), date_format)
            elif col >= 3 and text.isdigit():
                sheet.write_number(line, col, int(text))
            else:
                sheet.write_string(line, col, text)
        if line % 20_000 == 0:
            bar.update(20_000)
    bar.update(bar.total - bar.n)
    workbook.close()
    bar.close()


def _is_us_date(text: str) -> bool:
    parts = text.split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return False
    try:
        dt.date(int(parts[2]), int(parts[0]), int(parts[1]))
        return True
    except ValueError:
        return False


class _NoBar:
    total = 0
    n = 0

    def update(self, count: int) -> None:
        self.n += count

    def close(self) -> None:
        pass


def _bar(total: int, progress: bool, label: str):
    if not progress:
        bar = _NoBar()
        bar.total = total
        return bar
    from tqdm import tqdm

    return tqdm(total=total, unit="rows", unit_scale=True, desc=f"generating {label}", file=sys.stderr)


def generate(output: Path, rows: int = PUBLISHED_ROWS, seed: int = 2022, messy: bool = False,
             file_format: str | None = None, bom: bool = False, progress: bool = False) -> dict[str, object]:
    """Writes the file and its .expected.json sidecar; returns the expected counts."""
    output.parent.mkdir(parents=True, exist_ok=True)
    file_format = file_format or ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")
    expected = Expected()
    rows_iter = generate_rows(rows, seed, messy, expected)
    total = rows + (rows // REDELIVER_EVERY if messy else 0)
    temporary = output.with_name(output.name + ".partial")
    if file_format == "xlsx":
        write_xlsx(temporary, rows_iter, total, progress)
    else:
        write_csv(temporary, rows_iter, total, bom, progress)
    temporary.replace(output)
    summary = {"file": output.name, "seed": seed, "messy": messy, **expected.as_dict()}
    Path(str(output) + ".expected.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="data-generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", "-o", default=None, help="file to write (default: spark/.data/bankdataset[-messy].csv|xlsx)")
    parser.add_argument("--rows", type=int, default=PUBLISHED_ROWS, help=f"base rows (default {PUBLISHED_ROWS:,})")
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--messy", action="store_true", help="mix in faults of every reason code and re-delivered duplicates")
    parser.add_argument("--format", choices=("csv", "xlsx"), default=None, help="default: from the file suffix, else csv")
    parser.add_argument("--bom", action="store_true", help="start the CSV with a UTF-8 byte order mark")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.rows < 365:
        parser.error("--rows must be at least 365 (one row a day)")
    file_format = args.format or ("xlsx" if args.output and args.output.lower().endswith(".xlsx") else "csv")
    default_dir = Path(__file__).resolve().parent.parent / ".data"
    name = "bankdataset" + ("-messy" if args.messy else "") + (f"-{args.rows}" if args.rows != PUBLISHED_ROWS else "")
    output = Path(args.output) if args.output else default_dir / f"{name}.{file_format}"
    summary = generate(output, args.rows, args.seed, args.messy, file_format, args.bom, not args.quiet)
    print(f"wrote {output} ({summary['rows_read']:,} rows; expected counts in {output.name}.expected.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
