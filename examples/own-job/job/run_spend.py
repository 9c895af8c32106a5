"""The cards team's quarterly job: card spend per domain and city for the landed quarter, written to
the team's Delta folder of the lake and to its own PostgreSQL database. A few lines of PySpark; the
aggregation runs on the executors and only its small result reaches the driver."""

import argparse
import sys

from deployment_guard import DeploymentMismatch, check_run  # uploaded beside this file by the package

parser = argparse.ArgumentParser()
for option in ("--input", "--lake", "--pg-url", "--secret-scope", "--user-key", "--password-key"):
    parser.add_argument(option, required=True)
args = parser.parse_args()

try:
    # Before any secret is read: the run's parameters must be the ones the deploy wrote to deployment.json.
    check_run(sys.argv[0], pg_url=args.pg_url, lake=args.lake, input_uri=args.input,
              secret_scope=args.secret_scope, secret_keys=[args.user_key, args.password_key])
except DeploymentMismatch as refused:
    print(refused, file=sys.stderr)
    sys.exit(refused.exit_code)

import psycopg  # noqa: E402
from pyspark.dbutils import DBUtils  # noqa: E402
from pyspark.sql import SparkSession, functions as F  # noqa: E402

spark = SparkSession.builder.getOrCreate()
rows = spark.read.option("header", True).csv(args.input)
spend = (rows.withColumn("value", F.col("Value").cast("long"))
         .groupBy(F.upper("Domain").alias("domain"), F.initcap("Location").alias("city"))
         .agg(F.sum("value").alias("spend"), F.count("*").alias("rows")))
spend.write.format("delta").mode("overwrite").save(args.lake.replace("{container}", "features") + "spend")

secrets = DBUtils(spark).secrets
user = secrets.get(scope=args.secret_scope, key=args.user_key)
password = secrets.get(scope=args.secret_scope, key=args.password_key)
with psycopg.connect(args.pg_url, user=user, password=password) as conn, conn.cursor() as cur:
    cur.execute("CREATE TABLE IF NOT EXISTS cards.spend (domain text, city text, spend bigint, rows bigint)")
    cur.execute("TRUNCATE cards.spend")
    with cur.copy("COPY cards.spend (domain, city, spend, rows) FROM STDIN") as copy:
        for row in spend.toLocalIterator():
            copy.write_row((row.domain, row.city, row.spend, row.rows))
