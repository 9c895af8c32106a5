/**
 * Rules for the quarterly job's schedule: a Quartz cron expression that fires once a quarter,
 * and an IANA time zone. Databricks accepts any Quartz expression and any Java zone id and only
 * fails (or silently runs at the wrong cadence) after deploy, so both are checked at synth time.
 */

/** 02:00 on the first day of January, April, July and October. */
export const DEFAULT_QUARTERLY_CRON = "0 0 2 1 1,4,7,10 ?";

/** The rule shown to users when a cron expression is not quarterly. */
export const QUARTERLY_CRON_RULE =
  "a Quartz expression that fires once a quarter: fixed second, minute and hour, a fixed day of month from 1 to 28, " +
  'four months three apart (such as 1,4,7,10, 2,5,8,11, JAN,APR,JUL,OCT or */3) and "?" as day of week, like "0 0 2 1 1,4,7,10 ?"';

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

function fixedNumber(field: string, min: number, max: number): boolean {
  if (!/^\d{1,2}$/.test(field)) return false;
  const value = Number(field);
  return value >= min && value <= max;
}

function monthNumber(token: string): number | undefined {
  if (/^\d{1,2}$/.test(token)) {
    const value = Number(token);
    return value >= 1 && value <= 12 ? value : undefined;
  }
  const index = MONTH_NAMES.indexOf(token.toUpperCase());
  return index === -1 ? undefined : index + 1;
}

/**
 * Expands a Quartz month field (`1,4,7,10`, `*\/3`, `2/3`, `1-12/3`, `JAN,APR,JUL,OCT`) to the
 * sorted months it selects, or undefined when the field is not valid Quartz.
 */
export function expandMonthField(field: string): number[] | undefined {
  const months = new Set<number>();
  for (const part of field.split(",")) {
    const [base, stepText, ...rest] = part.split("/");
    if (rest.length > 0) return undefined;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) < 1) return undefined;
      step = Number(stepText);
    }
    let first: number | undefined;
    let last: number | undefined;
    if (base === "*") {
      [first, last] = [1, 12];
    } else if (base.includes("-")) {
      const [from, to, ...more] = base.split("-");
      if (more.length > 0) return undefined;
      [first, last] = [monthNumber(from), monthNumber(to)];
    } else {
      first = monthNumber(base);
      // "2/3" means every third month starting in February.
      last = stepText === undefined ? first : 12;
    }
    if (first === undefined || last === undefined || first > last) return undefined;
    for (let month = first; month <= last; month += step) months.add(month);
  }
  return [...months].sort((a, b) => a - b);
}

/** True when the months are exactly four, three apart: one in each quarter, same place in each. */
function isQuarterlyMonths(months: readonly number[]): boolean {
  return months.length === 4 && months.every((month, i) => i === 0 || month - months[i - 1] === 3);
}

/** True when a Quartz cron expression fires exactly once in each calendar quarter. */
export function isQuarterlyCron(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6 && fields.length !== 7) return false;
  const [seconds, minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  if (!fixedNumber(seconds, 0, 59) || !fixedNumber(minutes, 0, 59) || !fixedNumber(hours, 0, 23)) return false;
  // Days 29-31 do not exist in every month, so such a schedule would skip a quarter.
  if (!fixedNumber(dayOfMonth, 1, 28)) return false;
  if (dayOfWeek !== "?") return false;
  if (year !== undefined && year !== "*") return false;
  const months = expandMonthField(month);
  return months !== undefined && isQuarterlyMonths(months);
}

/** The shape of an IANA zone name: `Area/Location`, such as `America/Argentina/Buenos_Aires`. */
const IANA_ZONE_SHAPE = /^[A-Z][A-Za-z_-]*(?:\/[A-Z][A-Za-z0-9_+-]*)+$/;

/**
 * True for an IANA time zone name, such as `Europe/Amsterdam`, or `UTC`. The runtime's list
 * (`Intl.supportedValuesOf`) holds CLDR's canonical names, which still spell some zones the old
 * way (`Asia/Calcutta`), so a well-formed name that the runtime resolves to a listed zone (such
 * as `Asia/Kolkata`) is accepted too.
 */
export function isIanaTimeZone(zone: string): boolean {
  if (zone === "UTC" || ianaTimeZones().has(zone)) return true;
  if (!IANA_ZONE_SHAPE.test(zone)) return false;
  try {
    return ianaTimeZones().has(new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone);
  } catch {
    return false;
  }
}

let zones: ReadonlySet<string> | undefined;
function ianaTimeZones(): ReadonlySet<string> {
  zones ??= new Set(Intl.supportedValuesOf("timeZone"));
  return zones;
}

/** The rule shown to users when a cron expression is not a Quartz expression. */
export const QUARTZ_CRON_RULE =
  'a Quartz cron expression of 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]) with "?" in exactly one ' +
  'of day-of-month and day-of-week, such as "0 0 2 1 1,4,7,10 ?" or "0 30 6 ? * MON-FRI"';

const QUARTZ_FIELD = {
  seconds: /^(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?(,(\d{1,2}(-\d{1,2})?)(\/\d{1,2})?)*$/,
  hoursMinutes: /^(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?(,(\d{1,2}(-\d{1,2})?)(\/\d{1,2})?)*$/,
  dayOfMonth: /^(\?|L(-\d{1,2})?|LW|\d{1,2}W|(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?(,\d{1,2}(-\d{1,2})?(\/\d{1,2})?)*)$/,
  dayOfWeek: /^(\?|[1-7A-Za-z]{1,3}(#[1-5]|L)|(\*|[1-7A-Za-z]{1,3}(-[1-7A-Za-z]{1,3})?)(\/\d)?(,[1-7A-Za-z]{1,3}(-[1-7A-Za-z]{1,3})?)*)$/,
  year: /^(\*|\d{4}(-\d{4})?)(\/\d{1,3})?(,\d{4}(-\d{4})?)*$/,
};
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function numbersWithin(field: string, min: number, max: number): boolean {
  return (field.match(/\d+/g) ?? []).every((n, i, all) => {
    const value = Number(n);
    // A step ("/n") may exceed the field's range only up to its size.
    const isStep = field.includes(`/${n}`) && i === all.length - 1;
    return isStep ? value >= 1 && value <= max - min + 1 : value >= min && value <= max;
  });
}

/**
 * True when an expression is a well-formed Quartz cron expression, as Databricks job schedules take
 * them: fields in range, month and day names spelt as Quartz spells them, and "?" in exactly one of
 * day-of-month and day-of-week. It says nothing about how often the expression fires.
 */
export function isQuartzCron(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6 && fields.length !== 7) return false;
  const [seconds, minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  if (!QUARTZ_FIELD.seconds.test(seconds) || !numbersWithin(seconds, 0, 59)) return false;
  if (!QUARTZ_FIELD.hoursMinutes.test(minutes) || !numbersWithin(minutes, 0, 59)) return false;
  if (!QUARTZ_FIELD.hoursMinutes.test(hours) || !numbersWithin(hours, 0, 23)) return false;
  if ((dayOfMonth === "?") === (dayOfWeek === "?")) return false;
  if (!QUARTZ_FIELD.dayOfMonth.test(dayOfMonth) || !numbersWithin(dayOfMonth.replace(/^L-?/, ""), 1, 31)) return false;
  if (expandMonthField(month) === undefined) return false;
  if (!QUARTZ_FIELD.dayOfWeek.test(dayOfWeek)) return false;
  const names = dayOfWeek.match(/[A-Za-z]{2,3}/g) ?? [];
  if (!names.every((name) => DAY_NAMES.includes(name.toUpperCase()))) return false;
  if (!numbersWithin(dayOfWeek.replace(/#\d|L/g, ""), 1, 7)) return false;
  return year === undefined || QUARTZ_FIELD.year.test(year);
}

/**
 * The last year a Quartz expression can fire in, when its year field (the optional seventh) ends
 * before `now`'s year: such a schedule never fires again, and Databricks accepts it and stays
 * silent. Undefined when the expression has no year field, an open one (`*`, `2027/2`), or one
 * that reaches this year or later.
 */
export function yearAlreadyPast(expression: string, now: Date = new Date()): number | undefined {
  const year = expression.trim().split(/\s+/)[6];
  if (year === undefined) return undefined;
  let last = -Infinity;
  for (const part of year.split(",")) {
    const [range, step] = part.split("/");
    // "*" and a start with a step ("2027/2") never end.
    if (range === "*" || (step !== undefined && !range.includes("-"))) return undefined;
    const ends = range.split("-").map(Number);
    if (ends.some((value) => !Number.isInteger(value))) return undefined;
    last = Math.max(last, ...ends);
  }
  return last < now.getUTCFullYear() ? last : undefined;
}
