import { IConstruct } from "constructs";
import { Token, Tokenization } from "cdktf";
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

/**
 * Every problem reported by `scope` and the constructs below it, in construct order, with the
 * deferred checks run now. cdktf also reports them all together, as one error per stack, when the
 * app synthesizes.
 */
export function validationProblems(scope: IConstruct): PropProblem[] {
  return scope.node.findAll().flatMap((construct) => [...(REPORTED.get(construct) ?? []), ...(DEFERRED.get(construct) ?? []).flatMap((check) => check())]);
}

/**
 * Registers a check on `scope` that runs when the stack is validated (at synth, or when
 * {@link validationProblems} is called), for rules about things a user may create after the
 * construct, such as the stack's providers.
 */
export function deferCheck(scope: IConstruct, check: () => PropProblem[]): void {
  let checks = DEFERRED.get(scope);
  if (!checks) {
    const list: Array<() => PropProblem[]> = [];
    DEFERRED.set(scope, list);
    scope.node.addValidation({ validate: () => list.flatMap((run) => run()).map(describeProblem) });
    checks = list;
  }
  checks.push(check);
}

/** Throws one {@link PropValidationError} with every problem below `scope`, if there are any. */
export function throwIfProblems(scope: IConstruct): void {
  const problems = validationProblems(scope);
  if (problems.length > 0) throw new PropValidationError(problems);
}

/** True when the value (or any element of it) is a token only known at deploy time. */
export function isUnresolved(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(isUnresolved);
  if (typeof value === "string" || typeof value === "number") return Token.isUnresolved(value);
  return false;
}

function show(value: unknown): string {
  if (value === undefined) return "(missing)";
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value);
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

  constructor(
    private readonly constructName: string,
    private readonly path: string,
  ) {}

  /** True when a problem has been recorded. */
  get hasProblems(): boolean {
    return this.problems.length > 0;
  }

  /** Records a problem when `value` is known at synth time and `isValid(value)` is false. */
  check<T>(prop: string, value: T | undefined, isValid: (value: T) => boolean, allowed: string): void {
    if (value === undefined || isUnresolved(value)) return;
    if (!isValid(value)) this.fail(prop, value, allowed);
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

  /** Checks that a value is one of an enumeration. */
  oneOf<T extends string>(prop: string, value: T | undefined, allowedValues: readonly T[]): void {
    this.check(prop, value, (v) => allowedValues.includes(v), `one of ${allowedValues.join(", ")}`);
  }

  /** Checks that a whole number lies within [min, max]. */
  range(prop: string, value: number | undefined, min: number, max: number): void {
    this.check(prop, value, (v) => Number.isInteger(v) && v >= min && v <= max, `a whole number from ${min} to ${max}`);
  }

  /** Checks a string against a pattern, with the rule spelt out for people. */
  matches(prop: string, value: string | undefined, pattern: RegExp, rule: string): void {
    this.check(prop, value, (v) => pattern.test(v), rule);
  }

  /**
   * Hands the recorded problems to `scope`, where synthesis reports them together with every other
   * construct's in the stack (a cdktf validation), so one run lists all of a stack's problems. The
   * construct goes on building; its resources are never written because synthesis fails.
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
    reported.push(...this.problems.splice(0));
  }

  /** Hands the recorded problems back (for a {@link deferCheck}) and forgets them. */
  takeProblems(): PropProblem[] {
    return this.problems.splice(0);
  }

  /**
   * Throws the recorded problems at once. Only for calls that cannot go on without a valid value
   * (the result would be meaningless); constructors {@link report} instead.
   */
  throwIfInvalid(): void {
    if (this.problems.length > 0) throw new PropValidationError(this.problems.splice(0));
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
 */
export function checkName(v: PropValidator, prop: string, value: string | undefined, rule: NameRule): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "string") {
    v.fail(prop, value, rule.rule);
    return;
  }
  if (!Token.isUnresolved(value)) {
    if (!rule.pattern.test(value)) v.fail(prop, value, rule.rule);
    return;
  }
  const literal = splitTokens(value)
    .map((part) => ("literal" in part ? part.literal : ""))
    .join("");
  const bad = [...new Set([...literal].filter((char) => !rule.chars.test(char)))];
  if (bad.length > 0) v.fail(prop, showParts(value), `${rule.rule}; its literal part has ${bad.map((c) => `"${c}"`).join(", ")}`);
  if (literal.length > rule.maxLength) v.fail(prop, showParts(value), `${rule.rule}; its literal part alone is ${literal.length} characters`);
}

/**
 * Checks a name the construct derives from a prop (such as `snet-dbw-host-<nameSuffix>`) against
 * the length limit of the resource it names; the problem names the prop that drives it.
 */
export function checkDerivedName(v: PropValidator, prop: string, derived: string, resource: string, maxLength: number): void {
  if (Token.isUnresolved(derived)) {
    const literalLength = splitTokens(derived).reduce((sum, part) => sum + ("literal" in part ? part.literal.length : 0), 0);
    if (literalLength > maxLength) v.fail(prop, showParts(derived), `a value whose derived ${resource} name stays within ${maxLength} characters (its literal part is ${literalLength})`);
    return;
  }
  if (derived.length > maxLength) v.fail(prop, derived, `a value whose derived ${resource} name "${derived}" (${derived.length} characters) stays within ${maxLength} characters`);
}

/**
 * Checks an expiry: an RFC 3339 UTC timestamp that lies in the future (an expired key or
 * credential fails at apply or, worse, at the next quarterly run).
 */
export function checkExpiry(v: PropValidator, prop: string, value: string | undefined, now: number = Date.now()): void {
  if (value === undefined || isUnresolved(value)) return;
  if (typeof value !== "string" || !isRfc3339Utc(value)) {
    v.fail(prop, value, "an RFC 3339 UTC timestamp such as 2027-06-30T00:00:00Z");
    return;
  }
  if (Date.parse(value) <= now) v.fail(prop, value, `a date in the future (it is ${new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z")} now)`);
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
