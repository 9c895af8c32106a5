#!/usr/bin/env node
// Prints, as JSON, every task the constructs synthesize for the jobs they run from this package's
// spark/ folder: each estate stack's jobs (the bank ETL's check, load and migrate) and the package's
// provisioning task as a team's pipeline gets it. spark/tests/test_task_contract.py parses each
// task's parameters with its entry file's own argparse parser. Needs the compiled package (lib/).
//
//   node scripts/job-tasks.js > tasks.json
"use strict";
const path = require("node:path");
const lib = path.join(__dirname, "..", "lib");
const { synthesizeEstateStack } = require(path.join(lib, "tools", "estate-stacks.js"));
const { provisionTask } = require(path.join(lib, "constructs", "pipeline", "quarterly-pipeline.js"));

const tasks = [];
for (const environment of ["dev", "test", "prod"]) {
  const stack = synthesizeEstateStack(environment);
  const files = stack.resource.databricks_workspace_file ?? {};
  for (const job of Object.values(stack.resource.databricks_job ?? {})) {
    for (const task of job.task ?? []) {
      // python_file references the uploaded file (${databricks_workspace_file.<name>.workspace_path}).
      const reference = /^\$\{databricks_workspace_file\.([^.]+)\.workspace_path\}$/.exec(task.spark_python_task.python_file);
      const entryFile = reference ? path.posix.basename(files[reference[1]].path) : task.spark_python_task.python_file;
      tasks.push({ stack: `estate-${environment}`, job: job.name, key: task.task_key, entryFile, parameters: task.spark_python_task.parameters ?? [], dependsOn: (task.depends_on ?? []).map((dependency) => dependency.task_key) });
    }
  }
}
const login = (name) => ({ login: name, userSecretName: `psql-x-${name}-user`, passwordSecretName: `psql-x-${name}-password` });
const provision = provisionTask("cards-dev-kv", "cards", {
  host: "psql-x.postgres.database.azure.com",
  port: 5432,
  name: "cards",
  url: "postgresql://psql-x.postgres.database.azure.com:5432/cards?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt",
  loader: login("cards_etl"),
  reader: login("cards_app"),
  readerRole: "cards_reader",
  admin: login("admin"),
});
tasks.push({ stack: "(a team's pipeline)", job: "cards-dev-quarterly-etl-migrate", key: provision.key, entryFile: provision.entryFile, parameters: provision.parameters, dependsOn: [] });
process.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
