"""Runs the bank ETL: `python spark/run_etl.py --input ... --lake ... --pg-url ... [--quarter YYYY-Qn | --all]`.

Also the Databricks spark_python_task file: the bank_etl package sits in the same directory, so
that directory is put on sys.path before the import.
"""

import os
import sys

_entry_file = os.path.abspath(globals().get("__file__") or sys.argv[0])  # deployment.json sits beside it
_here = os.path.dirname(_entry_file)
if _here not in sys.path:
    sys.path.insert(0, _here)

from bank_etl.main import main  # noqa: E402

if __name__ == "__main__":
    exit_code = main(sys.argv[1:], entry_file=_entry_file)
    if exit_code:
        sys.exit(exit_code)
