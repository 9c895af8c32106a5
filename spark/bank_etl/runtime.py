"""What only Databricks has, behind one function: dbutils (its file system, the Key Vault-backed
secrets and the job's task values). Everything that uses dbutils gets it from `dbutils(spark)`,
which is None elsewhere, so that the tests can run that code against a stand-in."""

from __future__ import annotations

from .errors import PermanentError
from .session import on_databricks


def dbutils(spark):
    """pyspark.dbutils.DBUtils on Databricks, None elsewhere."""
    if not on_databricks():
        return None
    from pyspark.dbutils import DBUtils  # only exists on Databricks

    return DBUtils(spark)


# The check task hands the load the file it resolved, as a task value (Databricks:
# dbutils.jobs.taskValues.set(key, value) and .get(taskKey, key, default, debugValue); a value is
# JSON of at most 48 KiB; get raises ValueError for an unknown task or a key it did not set, and
# outside a job returns debugValue). The key of the check task is the one the job definition gives
# it (src/constructs/pipeline/bank-etl-job.ts: key "check"; devtools/task_contract.py --constants
# prints it for the TypeScript side's test).
CHECK_TASK_KEY = "check"
INPUT_VALUE_KEY = "input"


class HandOverError(PermanentError):
    """The check task handed the load no input: the job runs load without check, or check could
    not set its task value. No retry helps."""


def hand_over_input(spark, identity: dict[str, object]) -> bool:
    """Sets the check task's `input` task value on Databricks; returns whether it did."""
    utils = dbutils(spark)
    if utils is None:
        return False
    utils.jobs.taskValues.set(key=INPUT_VALUE_KEY, value=identity)
    return True


def input_from_check(spark) -> dict[str, object] | None:
    """The input the check task resolved (input_identity), on Databricks; None elsewhere or when
    the load runs outside a job (debugValue). In a job, no value is an error, not a reason to
    resolve the input again."""
    utils = dbutils(spark)
    if utils is None:
        return None
    try:
        value = utils.jobs.taskValues.get(taskKey=CHECK_TASK_KEY, key=INPUT_VALUE_KEY, debugValue={})
    except ValueError as error:
        raise HandOverError(f"the {CHECK_TASK_KEY} task handed over no input (task value {CHECK_TASK_KEY}."
                            f"{INPUT_VALUE_KEY}): {error}") from error
    return value or None
