/**
 * The message rules every refusal meets (GUIDE.md: one message per mistake, under 400
 * characters), read from the lines a user sees: synth's problem lines and the tools' stderr.
 */

/** Longest line a message may have. */
export const MAX_MESSAGE_LENGTH = 400;

/** A resource id cut in the middle: `/subscriptions/...` with an ellipsis inside. */
const CUT_ID = /\/subscriptions\/[^\s"]*\.\.\.|\.\.\.[^\s"]*\/providers\//;

/** What is wrong with a set of message lines, each finding naming its source (a line repeated within one source is one). */
export function auditMessages(lines: ReadonlyArray<{ readonly source: string; readonly line: string }>): string[] {
  const findings: string[] = [];
  const seen = new Map<string, string>();
  for (const { source, line } of lines) {
    if (line.length >= MAX_MESSAGE_LENGTH) findings.push(`${source}: ${line.length} characters: ${line}`);
    if (/TfToken\[/.test(line)) findings.push(`${source}: raw token: ${line}`);
    if (CUT_ID.test(line)) findings.push(`${source}: resource id cut in the middle: ${line}`);
    if (/^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/.test(line)) findings.push(`${source}: stack trace: ${line}`);
    const key = `${source}\u0000${line}`;
    if (seen.has(key)) findings.push(`${source}: line repeated: ${line}`);
    else if (line.trim() !== "") seen.set(key, source);
  }
  return findings;
}
