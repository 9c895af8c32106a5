"""What only Databricks has, behind one function: dbutils (its file system, the Key Vault-backed
secrets and the job's task values). Everything that uses dbutils gets it from `dbutils(spark)`,
which is None elsewhere, so that the tests can run that code against a stand-in."""

from __future__ import annotations

from .session import on_databricks


def dbutils(spark):
    """pyspark.dbutils.DBUtils on Databricks, None elsewhere."""
    if not on_databricks():
        return None
    from pyspark.dbutils import DBUtils  # only exists on Databricks

    return DBUtils(spark)

