"""The migrate task: `python spark/run_migrate.py --pg-url ... --schema bank --etl-role bank_etl --reader-role bank_reader
[--reader-login NAME --reader-password-key KEY]`.

Run as the server administrator (on Azure not a superuser): creates the schema, its tables, the two
roles and, when named, the reader application's login. Also a Databricks spark_python_task file:
the bank_etl package sits beside it.
"""

import os
import sys

_entry_file = os.path.abspath(globals().get("__file__") or sys.argv[0])  # deployment.json sits beside it
_here = os.path.dirname(_entry_file)
if _here not in sys.path:
    sys.path.insert(0, _here)

from bank_etl.main import migrate_main  # noqa: E402

if __name__ == "__main__":
    exit_code = migrate_main(sys.argv[1:], entry_file=_entry_file)
    if exit_code:
        sys.exit(exit_code)
