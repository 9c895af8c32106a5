import { IConstruct } from "constructs";
import { TerraformElement, TerraformStack } from "cdktf";

/** The key under the synthesized stack's `//` comment block where the library leaves its notes. */
export const STACK_NOTES_KEY = "azure-quarterly-batch";

/** What the library notes about a stack for the tools that read the synthesized JSON (the access matrix). */
export interface StackNotes {
  /** What each principal the stack names is, by name (application id, group name, object id). */
  readonly principals: Record<string, string>;
  /** The application ids of the pipeline identities the stack names (`deploy`, `drift`). */
  readonly pipelineIdentities: Record<string, string>;
}

/**
 * A stack's notes, rendered into the synthesized JSON's `//` block (which Terraform ignores), so
 * that `npm run access` can say who a bare application id or object id is.
 */
class StackNotesElement extends TerraformElement {
  readonly notes: StackNotes = { principals: {}, pipelineIdentities: {} };

  toTerraform(): Record<string, unknown> {
    return { "//": { [STACK_NOTES_KEY]: { principals: { ...this.notes.principals }, pipelineIdentities: { ...this.notes.pipelineIdentities } } } };
  }
}

const NOTES_ID = "azure-quarterly-batch-notes";

function notesOf(scope: IConstruct): StackNotesElement {
  const stack = TerraformStack.of(scope);
  return (stack.node.tryFindChild(NOTES_ID) as StackNotesElement | undefined) ?? new StackNotesElement(stack, NOTES_ID);
}

/** Notes what a principal is (a literal name only; a token says nothing at synth time). */
export function notePrincipal(scope: IConstruct, name: string | undefined, what: string): void {
  if (typeof name !== "string" || name === "" || name.includes("${")) return;
  const principals = notesOf(scope).notes.principals;
  principals[name] = principals[name] && !principals[name].includes(what) ? `${principals[name]}; ${what}` : what;
}

/** Notes which principal a pipeline identity (`deploy`, `drift`) signs in as, by application id. */
export function notePipelineIdentity(scope: IConstruct, identity: "deploy" | "drift", name: string | undefined): void {
  if (typeof name !== "string" || name === "" || name.includes("${")) return;
  notesOf(scope).notes.pipelineIdentities[identity] = name;
}
