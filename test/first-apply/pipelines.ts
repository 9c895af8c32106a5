/**
 * Rule 4: the plan and apply pipelines, and every template they use, run on no Microsoft-hosted
 * agent: no `vmImage` anywhere in them.
 */
import * as path from "node:path";
import { readPipelineYaml, REPO_ROOT } from "../pipelines/azure-pipelines";

/** The pipelines that plan or apply (they refresh private resources). */
export const PLAN_AND_APPLY_PIPELINES = [".azure-devops/pr-plan.yml", ".azure-devops/deploy.yml"];

/** Every `template:` reference in a document (local files; `file@repo` references are skipped). */
export function templateReferences(document: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === "object" && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === "template" && typeof value === "string" && !value.includes("@") && !value.includes("${{")) found.push(value);
        else walk(value);
      }
    }
  };
  walk(document);
  return found;
}

/** The entry pipelines and every template they reach, parsed, by repository-relative path. */
export function collectPipelineDocuments(entries: readonly string[] = PLAN_AND_APPLY_PIPELINES): Map<string, unknown> {
  const documents = new Map<string, unknown>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (documents.has(file)) continue;
    const document = readPipelineYaml(file);
    documents.set(file, document);
    for (const reference of templateReferences(document)) {
      queue.push(path.relative(REPO_ROOT, path.join(REPO_ROOT, path.dirname(file), reference)));
    }
  }
  return documents;
}

/** Every `vmImage` key in the documents, as `file: path.to.vmImage = value`. */
export function vmImageViolations(documents: ReadonlyMap<string, unknown>): string[] {
  const violations: string[] = [];
  const walk = (file: string, node: unknown, at: string): void => {
    if (Array.isArray(node)) node.forEach((item, index) => walk(file, item, `${at}[${index}]`));
    else if (typeof node === "object" && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        const here = at === "" ? key : `${at}.${key}`;
        if (key === "vmImage") violations.push(`${file}: ${here} = ${JSON.stringify(value)}`);
        walk(file, value, here);
      }
    } else if (typeof node === "string" && /(^|\s)vmImage\s*:/m.test(node)) {
      violations.push(`${file}: ${at} holds vmImage text`);
    }
  };
  for (const [file, document] of documents) walk(file, document, "");
  return violations;
}
