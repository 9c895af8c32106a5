/**
 * Finds literals that look like passwords, keys or tokens in text files. Used by the leak test over
 * the synthesized Terraform, the test logs and the project's own files.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

export interface Leak {
  readonly file: string;
  readonly line: number;
  readonly kind: string;
  /** The matched text with its secret part masked, safe to print. */
  readonly excerpt: string;
}

/** A value that is allowed in exactly one file, such as a public emulator key. */
export interface AllowedLiteral {
  /** Path relative to the repository root, with forward slashes. */
  readonly file: string;
  readonly value: string;
  /** Why the value is not a secret. */
  readonly reason: string;
}

interface Rule {
  readonly kind: string;
  readonly pattern: RegExp;
  /** Index of the capture group holding the secret; 0 for the whole match. */
  readonly secretGroup: number;
}

/** Names whose value is the credential itself (a key ending in one of these words). */
const CREDENTIAL_NAME = "(?:password|passwd|pwd|secret|token|api_?key|access_?key|account_?key|private_?key|client_?secret)(?:_wo)?";

const RULES: readonly Rule[] = [
  { kind: "Azure storage account key", pattern: /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])/g, secretGroup: 0 },
  { kind: "key or password in a connection string", pattern: /\b(?:AccountKey|SharedAccessKey|Password|Pwd)=([^;'"\s]{6,})/gi, secretGroup: 1 },
  { kind: "SAS signature", pattern: /[?&]sig=([A-Za-z0-9%+/=]{20,})/g, secretGroup: 1 },
  { kind: "private key", pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/g, secretGroup: 0 },
  { kind: "JSON web token", pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, secretGroup: 0 },
  { kind: "Databricks personal access token", pattern: /\bdapi[0-9a-f]{32}\b/g, secretGroup: 0 },
  { kind: "GitHub token", pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g, secretGroup: 0 },
  { kind: "AWS access key", pattern: /\bAKIA[0-9A-Z]{16}\b/g, secretGroup: 0 },
  { kind: "credentials in a URL", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:([^\s@/'"$]{3,})@/gi, secretGroup: 1 },
  {
    kind: "password, secret or token literal",
    pattern: new RegExp(`["']?\\b[A-Za-z_]*${CREDENTIAL_NAME}["']?\\s*[:=]\\s*["']([^"'\\s]{6,})["']`, "gi"),
    secretGroup: 1,
  },
];

/** Values that only point at a secret kept elsewhere: Terraform references, Databricks secret references, environment lookups. */
function isReference(value: string): boolean {
  return /^\$\{.*\}$/.test(value) || /^\{\{secrets\/[^}]+\}\}$/.test(value) || /^\$[A-Z_][A-Z0-9_]*$/.test(value) || /^process\.env\./.test(value);
}

function mask(text: string, secret: string): string {
  const shown = secret.length > 8 ? `${secret.slice(0, 4)}…(${secret.length} chars)` : "…";
  return text.replace(secret, shown).slice(0, 160);
}

/** Every leak in one text, with `file` as its label. */
export function findLeaks(file: string, text: string, allowed: readonly AllowedLiteral[] = []): Leak[] {
  const allowedHere = allowed.filter((a) => a.file === file).map((a) => a.value);
  const leaks: Leak[] = [];
  const lines = text.split("\n");
  lines.forEach((lineText, index) => {
    for (const rule of RULES) {
      for (const match of lineText.matchAll(rule.pattern)) {
        const secret = match[rule.secretGroup];
        if (isReference(secret)) continue;
        if (allowedHere.some((value) => value.includes(secret) || secret.includes(value))) continue;
        leaks.push({ file, line: index + 1, kind: rule.kind, excerpt: mask(match[0], secret) });
      }
    }
  });
  return leaks;
}

/** Every file under a directory (recursively), skipping directories by name. */
export function filesUnder(directory: string, skipDirectories: readonly string[] = []): string[] {
  const files: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (!skipDirectories.includes(entry.name)) walk(full);
      } else if (entry.isFile()) {
        files.push(full);
      }
    }
  };
  walk(directory);
  return files.sort();
}

/** Leaks in text files, labelled by their path relative to `root`; binary and very large files are skipped. */
export function scanFiles(root: string, files: readonly string[], allowed: readonly AllowedLiteral[] = []): Leak[] {
  return files.flatMap((file) => {
    if (statSync(file).size > 5_000_000) return [];
    const buffer = readFileSync(file);
    if (buffer.includes(0)) return [];
    return findLeaks(path.relative(root, file).split(path.sep).join("/"), buffer.toString("utf8"), allowed);
  });
}
