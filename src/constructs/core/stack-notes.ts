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
  /** The networks the stack creates, with the address spaces of the networks they peer with, for preflight's overlap check. */
  readonly networks: NetworkNote[];
  /** Principals that imported workspaces have assigned already, by the Databricks provider (`databricks`, `databricks.<alias>`). */
  readonly assignedPrincipals: Record<string, string[]>;
}

/** A network the stack creates: its construct path, address spaces and peers. */
export interface NetworkNote {
  readonly path: string;
  readonly addressSpaces: string[];
  readonly peers: Array<{ readonly name: string; readonly virtualNetworkId: string; readonly addressSpaces: string[] }>;
}

/**
 * A stack's notes, rendered into the synthesized JSON's `//` block (which Terraform ignores), so
 * that `npm run access` can say who a bare application id or object id is.
 */
class StackNotesElement extends TerraformElement {
  readonly notes: StackNotes = { principals: {}, pipelineIdentities: {}, networks: [], assignedPrincipals: {} };

  toTerraform(): Record<string, unknown> {
    const { principals, pipelineIdentities, networks, assignedPrincipals } = this.notes;
    return {
      "//": {
        [STACK_NOTES_KEY]: {
          principals: { ...principals },
          pipelineIdentities: { ...pipelineIdentities },
          ...(networks.length > 0 ? { networks: [...networks] } : {}),
          ...(Object.keys(assignedPrincipals).length > 0 ? { assignedPrincipals: { ...assignedPrincipals } } : {}),
        },
      },
    };
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

const isLiteral = (value: unknown): value is string => typeof value === "string" && value !== "" && !value.includes("${");

/** Notes a network the stack creates and the address spaces of its peers (literal values only). */
export function noteNetwork(scope: IConstruct, network: { readonly addressSpaces: readonly unknown[]; readonly peers: ReadonlyArray<{ readonly name?: unknown; readonly virtualNetworkId?: unknown; readonly addressSpaces?: readonly unknown[] }> }): void {
  const addressSpaces = network.addressSpaces.filter(isLiteral);
  if (addressSpaces.length === 0) return;
  notesOf(scope).notes.networks.push({
    path: scope.node.path,
    addressSpaces,
    peers: network.peers.map((peer) => ({ name: String(peer.name ?? ""), virtualNetworkId: String(peer.virtualNetworkId ?? ""), addressSpaces: (peer.addressSpaces ?? []).filter(isLiteral) })),
  });
}

/** Notes the principals an imported workspace has assigned already, under its provider's reference. */
export function noteAssignedPrincipals(scope: IConstruct, providerRef: string, names: readonly unknown[]): void {
  const assigned = notesOf(scope).notes.assignedPrincipals;
  assigned[providerRef] = [...new Set([...(assigned[providerRef] ?? []), ...names.filter(isLiteral)])];
}
