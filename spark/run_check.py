"""The check task: `python spark/run_check.py --input ... --timezone ... [--quarter YYYY-Qn | --all]`.

Fails at once (exit 3, not retried) on a missing input file, a missing required column or
no rows in scope. Also a Databricks spark_python_task file: the bank_etl package sits beside it.
"""

import os
import sys

_entry_file = os.path.abspath(globals().get("__file__") or sys.argv[0])  # deployment.json sits beside it
_here = os.path.dirname(_entry_file)
if _here not in sys.path:
    sys.path.insert(0, _here)

from bank_etl.main import check_main  # noqa: E402

if __name__ == "__main__":
    exit_code = check_main(sys.argv[1:], entry_file=_entry_file)
    if exit_code:
        sys.exit(exit_code)
