/**
 * Evaluates an Azure role assignment condition (version 2.0) the way Azure documents it, for the
 * operators the library writes: ActionMatches, SubOperationMatches, StringEquals, StringStartsWith,
 * StringLike and StringNotLike on a blob's path, with AND, OR, NOT / ! and parentheses
 * (https://learn.microsoft.com/azure/role-based-access-control/conditions-format: `*` of a Like
 * operator matches any characters, `/` included; `?` one character). A condition that is true
 * allows the request; false refuses it.
 */
export interface BlobRequest {
  /** The data action, such as `Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write`. */
  readonly action: string;
  /** The suboperation, such as `Blob.List` for a list. */
  readonly subOperation?: string;
  /** The blob's path in its container (none for a list). */
  readonly path?: string;
}

const TOKEN = /\s*(\(|\)|!|\bAND\b|\bOR\b|\bNOT\b|ActionMatches\{'[^']*'\}|SubOperationMatches\{'[^']*'\}|@Resource\[[^\]]+\]\s+\w+\s+'[^']*')/y;

function tokens(condition: string): string[] {
  const found: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < condition.trimEnd().length) {
    const match = TOKEN.exec(condition);
    if (!match) throw new Error(`cannot read the condition at ${TOKEN.lastIndex}: ${condition.slice(TOKEN.lastIndex, TOKEN.lastIndex + 40)}`);
    found.push(match[1]);
  }
  return found;
}

function like(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, "s").test(value);
}

function atom(token: string, request: BlobRequest): boolean {
  const quoted = /'([^']*)'/.exec(token)?.[1] ?? "";
  if (token.startsWith("ActionMatches")) return request.action === quoted;
  if (token.startsWith("SubOperationMatches")) return request.subOperation === quoted;
  const [, attribute, operator] = /^@Resource\[([^\]]+)\]\s+(\w+)/.exec(token) ?? [];
  if (attribute !== "Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path") throw new Error(`attribute not modelled: ${attribute}`);
  // A request without the attribute (a list) fails the comparison: Azure refuses what it cannot evaluate.
  if (request.path === undefined) return false;
  switch (operator) {
    case "StringEquals":
      return request.path === quoted;
    case "StringStartsWith":
      return request.path.startsWith(quoted);
    case "StringLike":
      return like(quoted, request.path);
    case "StringNotLike":
      return !like(quoted, request.path);
    default:
      throw new Error(`operator not modelled: ${operator}`);
  }
}

/** Whether `condition` allows `request`. */
export function conditionAllows(condition: string, request: BlobRequest): boolean {
  const list = tokens(condition);
  let at = 0;
  const expression = (): boolean => {
    let value = conjunction();
    while (list[at] === "OR") {
      at += 1;
      const right = conjunction();
      value = value || right;
    }
    return value;
  };
  const conjunction = (): boolean => {
    let value = unary();
    while (list[at] === "AND") {
      at += 1;
      const right = unary();
      value = value && right;
    }
    return value;
  };
  const unary = (): boolean => {
    const token = list[at++];
    if (token === "!" || token === "NOT") return !unary();
    if (token === "(") {
      const value = expression();
      if (list[at++] !== ")") throw new Error("unbalanced parentheses in the condition");
      return value;
    }
    return atom(token, request);
  };
  const value = expression();
  if (at !== list.length) throw new Error(`unread tokens in the condition: ${list.slice(at).join(" ")}`);
  return value;
}
