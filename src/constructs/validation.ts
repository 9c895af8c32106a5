import { Token } from "cdktf";
import { IPv4CidrRange, Validator } from "ip-num";

/**
 * Thrown when a construct's props break a rule that Terraform would only report at plan or
 * apply time. It carries every problem found, so a user fixes them all in one pass.
 */
export class PropValidationError extends Error {
  constructor(
    readonly constructName: string,
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${constructName} at '${path}' has ${problems.length} invalid prop${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((problem) => `  - ${problem}`).join("\n"),
    );
    this.name = "PropValidationError";
  }
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
  private readonly problems: string[] = [];

  constructor(
    private readonly constructName: string,
    private readonly path: string,
  ) {}

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
    this.problems.push(`${prop} ${show(value)} is not allowed: ${allowed}`);
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

  /** Throws one error listing every problem recorded, if any. */
  throwIfInvalid(): void {
    if (this.problems.length > 0) throw new PropValidationError(this.constructName, this.path, this.problems);
  }
}

/** Azure naming rules the estate relies on, as patterns plus the sentence shown to users. */
export const NAME_RULES = {
  storageAccount: {
    pattern: /^[a-z0-9]{3,24}$/,
    rule: "3-24 characters, lowercase letters and digits only (globally unique)",
  },
  keyVault: {
    pattern: /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/,
    rule: "3-24 characters, letters, digits and single hyphens, starting with a letter and ending with a letter or digit",
  },
  postgresServer: {
    pattern: /^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/,
    rule: "3-63 characters, lowercase letters, digits and hyphens, not starting or ending with a hyphen",
  },
  postgresDatabase: {
    pattern: /^[a-z_][a-z0-9_]{0,62}$/,
    rule: "1-63 characters, lowercase letters, digits and underscores, not starting with a digit",
  },
  resource: {
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,78}[a-zA-Z0-9_]$/,
    rule: "2-80 characters, letters, digits, '.', '_' and '-', starting with a letter or digit",
  },
} as const;

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
