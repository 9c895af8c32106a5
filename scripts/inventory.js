#!/usr/bin/env node
// Lists every resource of each synthesized stack, one line each: stack, type, construct path and
// the security-relevant literal attributes. Diff two outputs to review what a change did to the
// estate: `node scripts/inventory.js cdktf.out > after.tsv`.
const fs = require("fs");
const path = require("path");

const ATTRIBUTES = [
  "public_network_access_enabled", "shared_access_key_enabled", "min_tls_version", "purge_protection_enabled",
  "rbac_authorization_enabled", "infrastructure_encryption_enabled", "https_traffic_only_enabled",
  "allow_nested_items_to_be_public", "local_user_enabled", "cross_tenant_replication_enabled",
  "geo_redundant_backup_enabled", "account_replication_type", "sku", "sku_name", "data_security_mode",
  "container_access_type", "is_hns_enabled", "lock_level", "name", "role_definition_name",
];

const outdir = process.argv[2] ?? "cdktf.out";
for (const stack of fs.readdirSync(path.join(outdir, "stacks")).sort()) {
  const synthesized = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
  for (const [type, byName] of Object.entries(synthesized.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) {
      const constructPath = body["//"]?.metadata?.path ?? name;
      const attributes = ATTRIBUTES.filter((key) => body[key] !== undefined && typeof body[key] !== "object").map((key) => `${key}=${body[key]}`);
      console.log([stack, type, constructPath, attributes.join(" ")].join("\t"));
    }
  }
}
