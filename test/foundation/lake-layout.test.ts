/**
 * The lake's layout is declared once per language: src/constructs/storage/lake-layout.ts for the
 * constructs and the lake CLI, spark/bank_etl/layout.py for the job. This reads the Python
 * declaration itself (a pure-data module: plain python3, no venv) and holds the two together.
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { LAKE_AREAS, LAKE_DELTA_TABLES, LANDING_CONTAINER, MANIFESTS_FOLDER, WRITTEN_CONTAINERS } from "../../src/constructs/storage/lake-layout";
import { EXTERNAL_LOCATION_AREAS } from "../../src/constructs/databricks/pipeline-grants";
import { bankEtlJob } from "../../src/constructs/pipeline/bank-etl-job";
import { MANIFEST_DELTA_TABLES, MANIFESTS_PREFIX, RUNS_CONTAINER, RUNS_PREFIX } from "../../src/lake/layout";

interface PythonLayout {
  containers: { landing: string; written: string[] };
  areas: Record<string, { container: string; folder: string }>;
  manifests_folder: string;
  delta_tables: Record<string, { container: string; folder: string; name: string }>;
}

const SPARK_DIR = join(resolve(__dirname, "..", ".."), "spark");

function pythonLayout(): PythonLayout {
  const python = spawnSync("python3", ["-c", "import json; from bank_etl import layout; print(json.dumps(layout.as_json()))"], { cwd: SPARK_DIR, encoding: "utf8" });
  if (python.status !== 0) throw new Error(`reading spark/bank_etl/layout.py failed: ${python.stderr}`);
  return JSON.parse(python.stdout) as PythonLayout;
}

describe("the lake's layout", () => {
  const python = pythonLayout();

  it("names the same landing and written containers as the Python job", () => {
    expect({ landing: LANDING_CONTAINER, written: [...WRITTEN_CONTAINERS] }).toEqual(python.containers);
  });

  it("puts each of the job's areas in the same container and folder as the Python job", () => {
    const areas = Object.fromEntries(Object.entries(python.areas).map(([name, area]) => [name, { container: area.container, folder: area.folder }]));
    expect(LAKE_AREAS).toEqual(areas);
  });

  it("names the Delta tables and the manifests folder as the Python job does", () => {
    expect(LAKE_DELTA_TABLES).toEqual(Object.fromEntries(Object.entries(python.delta_tables).map(([area, table]) => [area, table.name])));
    expect(MANIFESTS_FOLDER).toBe(python.manifests_folder);
  });

  it("gives the lake CLI the manifests, run records and Delta tables where the job writes them", () => {
    expect(MANIFESTS_PREFIX).toBe(`${python.areas.export.folder}/${python.manifests_folder}/`);
    expect({ container: RUNS_CONTAINER, prefix: RUNS_PREFIX }).toEqual({ container: python.areas.runs.container, prefix: `${python.areas.runs.folder}/` });
    expect(MANIFEST_DELTA_TABLES).toEqual(
      Object.fromEntries(Object.values(python.delta_tables).map((table) => [table.name, { container: table.container, folder: `${table.folder}/` }])),
    );
  });

  it("registers an external location for every container the job reads or writes, and only those", () => {
    expect([...EXTERNAL_LOCATION_AREAS]).toEqual([python.containers.landing, ...python.containers.written]);
  });

  it("lets the bank preset write exactly the containers the Python job writes", () => {
    expect([...(bankEtlJob().writesAreasByName ?? [])]).toEqual(python.containers.written);
  });
});
