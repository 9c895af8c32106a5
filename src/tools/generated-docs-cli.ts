#!/usr/bin/env node
/** `npm run docs:generated`: rewrites the generated sections of docs/*.md (see generated-docs.ts). */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { regeneratedPages } from "./generated-docs";

const root = path.resolve(__dirname, "..", "..");
for (const { page, current, generated } of regeneratedPages(root)) {
  if (current === generated) continue;
  writeFileSync(path.join(root, page), generated);
  process.stdout.write(`wrote ${page}\n`);
}
