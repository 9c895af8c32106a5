import { existsSync } from "node:fs";
import * as path from "node:path";

function packageSparkDirectory(from: string): string {
  for (let directory = from; path.dirname(directory) !== directory; directory = path.dirname(directory)) {
    if (existsSync(path.join(directory, "spark", "run_etl.py"))) return path.join(directory, "spark");
  }
  return path.resolve(from, "..", "..", "..", "spark");
}

/** The installed package's `spark/` folder: the bank ETL's code and the files every job's code gets. */
export const PACKAGE_SPARK_DIRECTORY = packageSparkDirectory(__dirname);

/** The package's guard: every entry file's run is checked against `deployment.json` by it. */
export const GUARD_FILE = "deployment_guard.py";
