"""The cards team's quarterly job: card spend per domain and city for the landed quarter, written to
the team's Delta folder of the lake and to its own PostgreSQL database. A few lines of PySpark; the
aggregation runs on the executors and only its small result reaches the driver."""

import argparse

import psycopg
from pyspark.dbutils import DBUtils
from pyspark.sql import SparkSession, functions as F

parser = argparse.ArgumentParser()
for option in ("--input", "--lake", "--pg-url", "--secret-scope", "--user-key", "--password-key"):
    parser.add_argument(option, required=True)
# The package starts this file through its launcher (_guarded_spend.py), which has already refused
# any run whose parameters are not the deployed ones: no other database, lake or secret key.
args = parser.parse_args()

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
