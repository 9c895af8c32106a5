#!/usr/bin/env node
// Builds the CDK Terrain flavour of the package, `azure-quarterly-batch/cdktn` (lib/cdktn/), from
// what tsc compiled of the one TypeScript source: the entry point and lib/constructs/**, with every
// module the framework names swapped for its CDK Terrain twin (`cdktf` -> `cdktn`,
// `@cdktf/provider-<name>/lib/...` -> `@cdktn/provider-<name>/lib/...`), in the JavaScript and in
// the declarations. Nothing else differs: the two flavours run the same code. `npm run build` (and
// so `npm pack`, through prepack) runs it after tsc.
//
//   node scripts/build-cdktn.js [libDir]      (default: lib)
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/** The module specifiers of cdktf and its provider packages, and their CDK Terrain twins. */
const SWAPS = [
  [/^cdktf$/, "cdktn"],
  [/^cdktf\/(.*)$/, "cdktn/$1"],
  [/^@cdktf\/provider-(azurerm|databricks|random)(\/.*)?$/, "@cdktn/provider-$1$2"],
];

/** A module specifier as the CDK Terrain flavour requires it; throws on a cdktf module with no twin. */
function swapped(specifier, file) {
  for (const [pattern, replacement] of SWAPS) if (pattern.test(specifier)) return specifier.replace(pattern, replacement);
  if (/^(cdktf|@cdktf\/)/.test(specifier)) throw new Error(`${file} requires ${specifier}, which has no CDK Terrain twin`);
  return specifier;
}

/** The file's text with every `require("...")`, `import ... from "..."` and `import("...")` specifier swapped. */
function rewrite(text, file) {
  return text.replace(/(require\(|from |import\()(["'])([^"']+)\2/g, (whole, keyword, quote, specifier) => `${keyword}${quote}${swapped(specifier, file)}${quote}`);
}

function copyTree(source, target, files) {
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) copyTree(from, to, files);
    else if (/\.(js|d\.ts)$/.test(entry.name)) {
      fs.writeFileSync(to, rewrite(fs.readFileSync(from, "utf8"), from));
      files.push(to);
    }
  }
}

function main() {
  const lib = path.resolve(process.argv[2] ?? "lib");
  const out = path.join(lib, "cdktn");
  fs.rmSync(out, { recursive: true, force: true });
  const files = [];
  copyTree(path.join(lib, "constructs"), path.join(out, "constructs"), files);
  for (const name of ["index.js", "index.d.ts"]) {
    fs.writeFileSync(path.join(out, name), rewrite(fs.readFileSync(path.join(lib, name), "utf8"), name));
    files.push(path.join(out, name));
  }
  // Proof, at build time, that nothing of cdktf is left in the flavour.
  const left = files.filter((file) => /(require\(|from |import\()["'](cdktf|@cdktf\/)/.test(fs.readFileSync(file, "utf8")));
  if (left.length > 0) throw new Error(`still requiring cdktf: ${left.join(", ")}`);
  process.stdout.write(`build-cdktn: wrote ${files.length} files to ${path.relative(process.cwd(), out)}\n`);
}

if (require.main === module) main();
module.exports = { rewrite, swapped };
