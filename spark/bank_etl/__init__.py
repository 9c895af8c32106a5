"""The quarterly bank batch ETL (PySpark): extract -> validate -> transform -> load.

See DATA_CONTRACT.md for the rules and outputs; `bank_etl.main.main` is the entry point.
"""

__version__ = "0.1.0"
