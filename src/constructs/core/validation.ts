import { IConstruct } from "constructs";
import { DefaultTokenResolver, StringConcat, TerraformStack, Token, Tokenization } from "cdktf";
import { IPv4CidrRange, Validator } from "ip-num";

/** One bad prop: which construct, which prop, the value and what is allowed. */
export interface PropProblem {
  /** Construct (or method) that refused the value, such as `LakeStorage` or `SecretStore.addSecret`. */
  readonly construct: string;
  /** Construct path of the instance, such as `estate-prod/lake`. */
  readonly path: string;
  /** Prop, with its position inside objects and arrays, such as `subnets.postgres`. */
  readonly prop: string;
  /** The value as shown to the user. */
  readonly value: string;
  /** What is allowed instead. */
  readonly allowed: string;
}

/** The sentence a problem is shown as. */
export function describeProblem(problem: PropProblem): string {
  return `${problem.construct}: ${problem.prop} ${problem.value} is not allowed: ${problem.allowed}`;
}

/**
 * Thrown when props break a rule that Terraform would only report at plan or apply time. It
 * carries every problem found, so a user fixes them all in one pass.
 */
export class PropValidationError extends Error {
  constructor(readonly problems: readonly PropProblem[]) {
    super(
      `${problems.length} invalid prop${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((problem) => `  - [${problem.path}] ${describeProblem(problem)}`).join("\n"),
    );
    this.name = "PropValidationError";
  }
}

const REPORTED = new WeakMap<IConstruct, PropProblem[]>();
const DEFERRED = new WeakMap<IConstruct, Array<() => PropProblem[]>>();

/** The line a problem is shown as in a construct's validation: its path too when it is not the construct's own. */
function validationLine(scope: IConstruct, problem: PropProblem): string {
  return problem.path === scope.node.path ? describeProblem(problem) : `[${problem.path}] ${describeProblem(problem)}`;
}

/** Runs the deferred checks registered on one construct, with any deploy-time value in their messages explained. */
function runDeferred(scope: IConstruct): PropProblem[] {
  return (DEFERRED.get(scope) ?? []).flatMap((check) => check()).map((problem) => explainTokens(problem, scope));
}

/**
 * Every problem reported by `scope` and the constructs below it, in construct order, with the
 * deferred checks run now (the stack-wide consistency checks too, for the problems below `scope`).
 * cdktf also reports them all together, as one error per stack, when the app synthesizes.
 */
export function validationProblems(scope: IConstruct): PropProblem[] {
  const below = scope.node.findAll().flatMap((construct) => [...(REPORTED.get(construct) ?? []), ...runDeferred(construct)]);
  // Checks registered on an enclosing construct (the stack's consistency pass) may name this one.
  const inside = (path: string) => path === scope.node.path || path.startsWith(`${scope.node.path}/`);
  const above = scope.node.scopes.slice(0, -1).flatMap((ancestor) => runDeferred(ancestor).filter((problem) => inside(problem.path)));
  return [...below, ...above].map(withoutRawTokens);
}

/**
 * Registers a check on `scope` that runs when the stack is validated (at synth, or when
 * {@link validationProblems} is called), for rules about things a user may create after the
 * construct, such as the stack's providers. A problem about another construct (a stack-wide
 * check) is shown with that construct's path.
 */
export function deferCheck(scope: IConstruct, check: () => PropProblem[]): void {
  let checks = DEFERRED.get(scope);
  if (!checks) {
    const list: Array<() => PropProblem[]> = [];
    DEFERRED.set(scope, list);
    scope.node.addValidation({ validate: () => runDeferred(scope).map((problem) => validationLine(scope, problem)) });
    checks = list;
  }
  checks.push(check);
}

/** Throws one {@link PropValidationError} with every problem below `scope`, if there are any. */
export function throwIfProblems(scope: IConstruct): void {
  const problems = validationProblems(scope);
  if (problems.length > 0) throw new PropValidationError(problems);
}

/** A raw cdktf token in text: a string or list token, or the huge number a number token is encoded as. */
const RAW_TOKEN = /[$#]\{TfToken\[[^\]]*\]\}|-?\d\.\d+e\+(?:2[89]\d|30\d)/g;

/** True when a message part still holds a raw cdktf token. */
export function hasRawToken(text: string): boolean {
  RAW_TOKEN.lastIndex = 0;
  return RAW_TOKEN.test(text);
}

/**
 * A text with each deploy-time value shown as what Terraform will compute, such as
 * `st${azurerm_resource_group.rg.name}` (resolved against the stack of `scope`); anything that
 * cannot be resolved is shown as `<known at deploy time>`. Never a raw `${TfToken[...]}`.
 */
export function explainDeployTimeValues(text: string, scope?: IConstruct): string {
  if (!hasRawToken(text)) return text;
  let explained = text;
  const stack = scope?.node.scopes.find((candidate): candidate is TerraformStack => TerraformStack.isStack(candidate));
  if (stack && Token.isUnresolved(text)) {
    try {
      const resolved: unknown = Tokenization.resolve(text, { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });
      if (typeof resolved === "string") explained = resolved.length > 160 ? `${resolved.slice(0, 157)}...` : resolved;
    } catch {
      // Shown as "known at deploy time" below.
    }
  }
  return explained.replace(RAW_TOKEN, "<known at deploy time>");
}

function explainTokens(problem: PropProblem, scope?: IConstruct): PropProblem {
  if (!hasRawToken(problem.value) && !hasRawToken(problem.allowed)) return problem;
  return { ...problem, value: explainDeployTimeValues(problem.value, scope), allowed: explainDeployTimeValues(problem.allowed, scope) };
}

function withoutRawTokens(problem: PropProblem): PropProblem {
  return explainTokens(problem);
}

/**
 * Problems about one value that several constructs of a stack are given (a region, a principal,
 * an expiry, a tenant, a derived name), by key, per stack: the first construct reports it, later
 * ones only add their path to its message, and a construct inside the first (a composite's part)
 * adds nothing.
 */
interface SharedProblem {
  readonly list: PropProblem[];
  readonly index: number;
  readonly problem: PropProblem;
  readonly mentions: string[];
}
const SHARED = new WeakMap<IConstruct, Map<string, SharedProblem>>();

function stackOf(scope: IConstruct): IConstruct {
  return scope.node.scopes.find((candidate) => TerraformStack.isStack(candidate)) ?? scope.node.root;
}

/** A problem's "allowed", with the other places that were given the same value (constructs first, then named objects such as secrets). */
function withMentions(allowed: string, mentions: readonly string[]): string {
  if (mentions.length === 0) return allowed;
  const ordered = [...mentions.filter((mention) => !mention.includes(" ")), ...mentions.filter((mention) => mention.includes(" "))];
  const shown = ordered.slice(0, 3).join(", ");
  return `${allowed} (the same value is given to ${shown}${mentions.length > 3 ? ` and ${mentions.length - 3} more` : ""})`;
}

/** True when the value (or any element of it) is a token only known at deploy time. */
export function isUnresolved(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(isUnresolved);
  if (typeof value === "string" || typeof value === "number") return Token.isUnresolved(value);
  return false;
}

/** Longest value a problem shows; longer ones are cut (the prop says where it is). */
const MAX_SHOWN_VALUE = 120;

/** An Azure resource id, which a message shows whole: a cut id names no resource. */
const RESOURCE_ID = /^"\/subscriptions\/[^"]+"$/i;

function show(value: unknown): string {
  if (value === undefined) return "(missing)";
  // JSON has no NaN or Infinity (it writes null), and a number that is not one must say so.
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  let shown: string;
  try {
    shown = typeof value === "string" ? `"${value}"` : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = `(${typeof value})`;
  }
  // The end of a long value (a resource id's name) says most: keep both ends.
  return shown.length > MAX_SHOWN_VALUE && !hasRawToken(shown) && !RESOURCE_ID.test(shown) ? `${shown.slice(0, 40)}...${shown.slice(shown.length - (MAX_SHOWN_VALUE - 43))}` : shown;
}

/**
 * Collects prop problems of one construct and throws them together.
 *
 * Each problem names the prop, the bad value and what is allowed; the thrown error adds the
 * construct and its path. Values that are unresolved tokens are skipped: they are only known at
 * deploy time, and refusing them would break legitimate wiring between constructs.
 */
export class PropValidator {
  private readonly problems: PropProblem[] = [];
  /** Keys of the problems about a value other constructs may be given too (see {@link once}). */
  private readonly sharedKeys = new Map<PropProblem, { keys: string[]; mention?: string }>();
  /** The derived-name problem kept per prop: the tightest limit (see {@link checkDerivedName}). */
  private readonly derived = new Map<string, { problem: PropProblem; limit: number }>();
  /** Values this construct derived from a value it refused, which the constructs inside it must not report again (see {@link cover}). */
  private readonly covered: unknown[] = [];

  constructor(
    private readonly constructName: string,
    private readonly path: string,
  ) {}

  /** True when a problem has been recorded. */
  get hasProblems(): boolean {
    return this.problems.length > 0;
  }

  /** True when a problem has been recorded for `prop`. */
  refused(prop: string): boolean {
    return this.problems.some((problem) => problem.prop === prop);
  }

  /**
   * Marks values this construct derived from a value it refused (a composite's names from a bad
   * `nameSuffix`) as reported: a construct inside this one that refuses one of them adds nothing,
   * since fixing the refused value fixes it too.
   */
  cover(values: readonly unknown[]): void {
    this.covered.push(...values.filter((value) => value !== undefined));
  }

  /**
   * Records a problem when `value` is known at synth time and `isValid(value)` is false. An
   * `allowed` that is costly to word (nearest matches among many candidates) can be a function,
   * called only for a bad value.
   */
  check<T>(prop: string, value: T | undefined, isValid: (value: T) => boolean, allowed: string | (() => string)): void {
    if (value === undefined || isUnresolved(value)) return;
    if (!isValid(value)) this.fail(prop, value, typeof allowed === "function" ? allowed() : allowed);
  }

  /**
   * Records a problem when a required prop is missing or blank. TypeScript enforces required props,
   * but JavaScript callers and configs read from files can still omit them.
   */
  required(prop: string, value: unknown, allowed: string): void {
    if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) this.fail(prop, value, allowed);
  }

  /** Records a problem unconditionally (for rules that relate several props). */
  fail(prop: string, value: unknown, allowed: string): void {
    this.problems.push({ construct: this.constructName, path: this.path, prop, value: show(value), allowed });
  }

  /**
   * Runs checks of a value that other constructs of the stack may be given too (a region, a
   * principal, an expiry, a tenant id): the problems they record are reported once per stack, by
   * the first construct, whose message then names the others (`mention`, by default this
   * construct's path); a construct inside the first one adds nothing.
   */
  once(key: string | readonly string[], checks: () => void, mention?: string): void {
    const keys = typeof key === "string" ? [key] : key;
    const before = this.problems.length;
    checks();
    this.problems.slice(before).forEach((problem, index) => this.sharedKeys.set(problem, { keys: keys.map((k) => `${k}#${index}`), mention }));
  }

  /**
   * Records a derived name over its limit for `prop`, keeping one problem per prop: the one with
   * the tightest limit on the prop itself (`limit`); a derived name is a value other constructs
   * check too (keyed by the name), so theirs are folded into it.
   */
  failDerived(prop: string, value: unknown, allowed: string, limit: number, derivedName: string): void {
    const key = `derived:${derivedName}#0`;
    const kept = this.derived.get(prop);
    if (kept && this.problems.includes(kept.problem)) {
      const keys = this.sharedKeys.get(kept.problem)?.keys ?? [];
      if (limit >= kept.limit) {
        keys.push(key);
        return;
      }
      this.problems.splice(this.problems.indexOf(kept.problem), 1);
      this.sharedKeys.delete(kept.problem);
      keys.push(key);
      this.fail(prop, value, allowed);
      const problem = this.problems[this.problems.length - 1];
      this.sharedKeys.set(problem, { keys });
      this.derived.set(prop, { problem, limit });
      return;
    }
    this.fail(prop, value, allowed);
    const problem = this.problems[this.problems.length - 1];
    this.sharedKeys.set(problem, { keys: [key] });
    this.derived.set(prop, { problem, limit });
  }

  /** Checks that a value is one of an enumeration. */
  oneOf<T extends string>(prop: string, value: T | undefined, allowedValues: readonly T[]): void {
    this.check(prop, value, (v) => allowedValues.includes(v), `one of ${allowedValues.join(", ")}`);
  }

  /** Checks that a whole number lies within [min, max]; a value that is no number at all (NaN, a string) is told so. */
  range(prop: string, value: number | undefined, min: number, max: number): void {
    const rule = `a whole number from ${min} to ${max}`;
    this.check(prop, value, (v) => Number.isInteger(v) && v >= min && v <= max, () => (typeof value === "number" && !Number.isNaN(value) ? rule : `${rule}; this is not a number`));
  }

  /** Checks a string against a pattern, with the rule spelt out for people. */
  matches(prop: string, value: string | undefined, pattern: RegExp, rule: string): void {
    this.check(prop, value, (v) => pattern.test(v), rule);
  }

  /**
   * Hands the recorded problems to `scope`, where synthesis reports them together with every other
   * construct's in the stack (a cdktf validation), so one run lists all of a stack's problems. The
   * construct goes on building; its resources are never written because synthesis fails. A value
   * only known at deploy time is shown as what Terraform will compute, and a problem about a value
   * the stack already reported (see {@link once}) only adds this construct to that report.
   */
  report(scope: IConstruct): void {
    if (this.problems.length === 0) return;
    let reported = REPORTED.get(scope);
    if (!reported) {
      const list: PropProblem[] = [];
      REPORTED.set(scope, list);
      scope.node.addValidation({ validate: () => list.map(describeProblem) });
      reported = list;
    }
    const stack = stackOf(scope);
    let shared = SHARED.get(stack);
    if (!shared) SHARED.set(stack, (shared = new Map()));
    for (const value of this.covered.splice(0)) shared.set(`covered:${show(value)}`, { list: reported, index: -1, problem: { construct: this.constructName, path: this.path, prop: "", value: "", allowed: "" }, mentions: [] });
    for (const raw of this.problems.splice(0)) {
      const problem = explainTokens(raw, scope);
      const cover = shared.get(`covered:${problem.value}`);
      if (cover && problem.path !== cover.problem.path && problem.path.startsWith(`${cover.problem.path}/`)) continue;
      const keys = this.sharedKeys.get(raw);
      this.sharedKeys.delete(raw);
      const first = keys?.keys.map((key) => shared.get(key)).find((entry) => entry !== undefined);
      if (first && keys) {
        for (const key of keys.keys) if (!shared.has(key)) shared.set(key, first);
        const mention = keys.mention ?? problem.path;
        // A composite's part repeats what the composite reported; a named mention (a secret) is kept.
        const inside = keys.mention === undefined && (problem.path === first.problem.path || problem.path.startsWith(`${first.problem.path}/`));
        const covered = first.mentions.some((other) => mention === other || mention.startsWith(`${other}/`));
        if (!inside && !covered) {
          first.mentions.push(mention);
          first.list[first.index] = { ...first.problem, allowed: withMentions(first.problem.allowed, first.mentions) };
        }
        continue;
      }
      if (keys) {
        const entry: SharedProblem = { list: reported, index: reported.length, problem, mentions: [] };
        for (const key of keys.keys) shared.set(key, entry);
      }
      reported.push(problem);
    }
    this.derived.clear();
  }

  /** Hands the recorded problems back (for a {@link deferCheck}) and forgets them. */
  takeProblems(): PropProblem[] {
    this.sharedKeys.clear();
    this.derived.clear();
    return this.problems.splice(0);
  }

  /**
   * Throws the recorded problems at once. Only for calls that cannot go on without a valid value
   * (the result would be meaningless); constructors {@link report} instead.
   */
  throwIfInvalid(): void {
    this.sharedKeys.clear();
    this.derived.clear();
    if (this.problems.length > 0) throw new PropValidationError(this.problems.splice(0).map((problem) => withoutRawTokens(problem)));
  }
}

/**
 * A naming rule of one Azure resource type: the full pattern for a literal name, and the allowed
 * characters and length limits that can still be checked on the literal parts of a name built
 * from tokens (such as `"st" + random.result`).
 */
export interface NameRule {
  /** Pattern a complete (literal) name must match. */
  readonly pattern: RegExp;
  /** The rule spelt out for people. */
  readonly rule: string;
  /** Pattern of one allowed character. */
  readonly chars: RegExp;
  /** Shortest allowed name. */
  readonly minLength: number;
  /** Longest allowed name. */
  readonly maxLength: number;
}

/** Azure naming rules the estate relies on, as patterns plus the sentence shown to users. */
export const NAME_RULES = {
  storageAccount: {
    pattern: /^[a-z0-9]{3,24}$/,
    rule: "3-24 characters, lowercase letters and digits only (globally unique)",
    chars: /[a-z0-9]/,
    minLength: 3,
    maxLength: 24,
  },
  keyVault: {
    pattern: /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/,
    rule: "3-24 characters, letters, digits and single hyphens, starting with a letter and ending with a letter or digit",
    chars: /[a-zA-Z0-9-]/,
    minLength: 3,
    maxLength: 24,
  },
  keyVaultObject: {
    pattern: /^[a-zA-Z0-9-]{1,127}$/,
    rule: "1-127 characters, letters, digits and hyphens",
    chars: /[a-zA-Z0-9-]/,
    minLength: 1,
    maxLength: 127,
  },
  postgresServer: {
    pattern: /^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/,
    rule: "3-63 characters, lowercase letters, digits and hyphens, not starting or ending with a hyphen",
    chars: /[a-z0-9-]/,
    minLength: 3,
    maxLength: 63,
  },
  postgresDatabase: {
    pattern: /^[a-z_][a-z0-9_]{0,62}$/,
    rule: "1-63 characters, lowercase letters, digits and underscores, not starting with a digit",
    chars: /[a-z0-9_]/,
    minLength: 1,
    maxLength: 63,
  },
  resource: {
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,78}[a-zA-Z0-9_]$/,
    rule: "2-80 characters, letters, digits, '.', '_' and '-', starting with a letter or digit",
    chars: /[a-zA-Z0-9._-]/,
    minLength: 2,
    maxLength: 80,
  },
} as const satisfies Record<string, NameRule>;

/** One part of a string that may hold tokens: literal text, or a token known only at deploy time. */
export type StringPart = { readonly literal: string } | { readonly token: true };

/**
 * Splits a string into its literal and token parts, in order, using cdktf's tokenization
 * (adjacent tokens form one part). A plain string is one literal part.
 */
export function splitTokens(value: string): StringPart[] {
  if (!Token.isUnresolved(value)) return [{ literal: value }];
  const literals = Tokenization.reverseString(value).literals.map(String).filter((lit) => lit.length > 0);
  const parts: StringPart[] = [];
  let cursor = 0;
  for (const literal of literals) {
    const at = value.indexOf(literal, cursor);
    if (at < 0) continue;
    if (at > cursor) parts.push({ token: true });
    parts.push({ literal });
    cursor = at + literal.length;
  }
  if (cursor < value.length) parts.push({ token: true });
  return parts;
}

/** A string as shown to users: literal text, and `<token>` where a deploy-time value goes. */
export function showParts(value: string): string {
  return splitTokens(value)
    .map((part) => ("literal" in part ? part.literal : "<token>"))
    .join("");
}

/**
 * Checks a name against its resource's rule. A literal name must match the pattern; a name built
 * from tokens has its literal parts checked: every literal character must be allowed, and the
 * literal characters alone must not exceed the length limit. A name that is one token is skipped.
 * A name a composite derived and already refused (see {@link checkDerivedName}) is not reported again.
 */
export function checkName(v: PropValidator, prop: string, value: string | undefined, rule: NameRule): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "string") {
    v.fail(prop, value, rule.rule);
    return;
  }
  // The same name under the same rule is one problem; a name a composite derived and refused already is too.
  v.once([`name:${rule.rule}:${value}`, `derived:${value}`], () => {
    if (!Token.isUnresolved(value)) {
      if (!rule.pattern.test(value)) v.fail(prop, value, rule.rule);
      return;
    }
    const literal = splitTokens(value)
      .map((part) => ("literal" in part ? part.literal : ""))
      .join("");
    const bad = [...new Set([...literal].filter((char) => !rule.chars.test(char)))];
    // The value is shown as Terraform will compute it (see PropValidator.report).
    if (bad.length > 0) v.fail(prop, value, `${rule.rule}; its literal part has ${bad.map((c) => `"${c}"`).join(", ")}`);
    if (literal.length > rule.maxLength) v.fail(prop, value, `${rule.rule}; its literal part alone is ${literal.length} characters`);
  });
}

/** What a derived-name check needs beyond the derived name. */
export interface DerivedNameOptions {
  /** The value of `prop` the name is derived from, so the problem can give the prop's own limit. */
  readonly value?: string;
  /** The prop that sets the derived name directly, offered as the other way out. */
  readonly override?: string;
}

/**
 * Checks a name the construct derives from a prop (such as `ncc-<nameSuffix>`) against the length
 * limit of the resource it names. The problem names the prop the user set and the limit that prop
 * really has (a 27-character nameSuffix refused because `ncc-<suffix>` may not pass 30 says "at
 * most 26"), and the prop that sets the name directly, when there is one. Of several derived names
 * over their limits, one prop reports the tightest.
 */
export function checkDerivedName(v: PropValidator, prop: string, derived: string, resource: string, maxLength: number, options: DerivedNameOptions = {}): void {
  const { value, override } = options;
  const instead = override ? `, or set ${override} to name it directly` : "";
  const resourceName = resource.replace(/^the /, "");
  if (Token.isUnresolved(derived)) {
    const literalLength = splitTokens(derived).reduce((sum, part) => sum + ("literal" in part ? part.literal.length : 0), 0);
    if (literalLength > maxLength) {
      v.failDerived(prop, derived, `a value whose derived ${resourceName} name stays within ${maxLength} characters: its literal part alone is ${literalLength}${instead}`, 0, derived);
    }
    return;
  }
  if (derived.length <= maxLength) return;
  if (typeof value === "string" && !Token.isUnresolved(value) && derived.length > value.length) {
    const limit = maxLength - (derived.length - value.length);
    const most = limit >= 1 ? `at most ${limit} characters (it has ${value.length})` : "a shorter value";
    v.failDerived(prop, value, `${most}: the ${resourceName} name "${derived}" derived from it may have at most ${maxLength}${instead}`, limit, derived);
    return;
  }
  v.failDerived(prop, derived, `a value whose derived ${resourceName} name "${derived}" (${derived.length} characters) stays within ${maxLength}${instead}`, maxLength - derived.length, derived);
}

/**
 * Checks an expiry: an RFC 3339 UTC timestamp that lies in the future (an expired key or
 * credential fails at apply or, worse, at the next quarterly run). One bad expiry given to several
 * constructs of a stack (a sink's date on each of its secrets) is reported once, naming them;
 * `subject` names what expires, such as `secret "pg-user"`.
 */
export function checkExpiry(v: PropValidator, prop: string, value: string | undefined, now: number = Date.now(), subject?: string): void {
  if (value === undefined || isUnresolved(value)) return;
  v.once(
    `expiry:${String(value)}`,
    () => {
      const of = subject ? ` for ${subject}` : "";
      if (typeof value !== "string" || !isRfc3339Utc(value)) {
        v.fail(prop, value, `an RFC 3339 UTC timestamp such as 2027-06-30T00:00:00Z${of}`);
        return;
      }
      if (Date.parse(value) <= now) v.fail(prop, value, `a date in the future${of} (it is ${new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z")} now)`);
    },
    subject,
  );
}

/**
 * Checks a secret value: it must be a token (a generated password, a variable, another resource's
 * output), never a literal, because a literal is written in plain text into the synthesized JSON.
 */
export function checkSecretIsToken(v: PropValidator, prop: string, value: string | undefined): void {
  if (value === undefined || value === null) return;
  if (!Token.isUnresolved(value)) v.fail(prop, "(a literal string, not shown)", "a token (such as a random_password's result or a sensitive variable), never a literal: a literal lands in cdk.tf.json");
}

/** Parses an IPv4 CIDR whose address is the network address, or returns the reason it is not one. */
export function parseCidr(cidr: string): IPv4CidrRange | string {
  const [notationOk] = Validator.isValidIPv4CidrNotation(cidr);
  if (!notationOk) return "an IPv4 CIDR such as 10.0.0.0/24";
  const [rangeOk] = Validator.isValidIPv4CidrRange(cidr);
  if (!rangeOk) return "a CIDR whose address is the network address (host bits zero), such as 10.0.1.0/24";
  return IPv4CidrRange.fromCidr(cidr);
}

/** The prefix length of a parsed CIDR, as a number. */
export function prefixLength(range: IPv4CidrRange): number {
  return Number(range.getPrefix().getValue());
}

/** Checks an RFC 3339 UTC timestamp such as 2027-06-30T00:00:00Z. */
export function isRfc3339Utc(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value) && !Number.isNaN(Date.parse(value));
}

/** The edit distance between two strings (insertions, deletions and substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidates nearest to a value that is none of them, for a message that suggests a few
 * instead of listing every allowed value: by edit distance (case-insensitive), a candidate that
 * contains the value or is contained in it counting as near. At most `count`.
 */
export function closestMatches(value: string, candidates: readonly string[], count = 3): string[] {
  const wanted = String(value).toLowerCase();
  if (wanted === "") return [];
  return candidates
    .map((candidate) => {
      const lower = candidate.toLowerCase();
      return { candidate, distance: lower.includes(wanted) || wanted.includes(lower) ? Math.abs(lower.length - wanted.length) / 10 : editDistance(wanted, lower) };
    })
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, count)
    .map(({ candidate }) => candidate);
}
