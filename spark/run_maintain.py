"""The maintain task: `python spark/run_maintain.py --lake ... [--catalog NAME] [--retain-hours 168]`.

Runs after a load that succeeded: OPTIMIZE and VACUUM of the lake's external Delta tables (Unity
Catalog's predictive optimization covers managed tables only). Also a Databricks
spark_python_task file: the bank_etl package sits beside it.
"""

import os
import sys

_here = os.path.dirname(os.path.abspath(globals().get("__file__") or sys.argv[0]))
if _here not in sys.path:
    sys.path.insert(0, _here)

from bank_etl.main import maintain_main  # noqa: E402

if __name__ == "__main__":
    exit_code = maintain_main(sys.argv[1:])
    if exit_code:
        sys.exit(exit_code)
