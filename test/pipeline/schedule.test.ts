import { DEFAULT_QUARTERLY_CRON, expandMonthField, isIanaTimeZone, isQuarterlyCron, isQuartzCron } from "../../src/constructs/databricks/job-schedule";

describe("quarterly cron expressions", () => {
  it("accepts the default, 02:00 on the first day of each quarter", () => {
    expect(isQuarterlyCron(DEFAULT_QUARTERLY_CRON)).toBe(true);
  });

  it.each([
    "0 30 6 15 2,5,8,11 ?",
    "0 0 2 1 */3 ?",
    "0 0 2 1 3/3 ?",
    "0 0 2 1 1-12/3 ?",
    "0 0 2 1 JAN,APR,JUL,OCT ?",
    "0 0 2 28 3,6,9,12 ? *",
  ])("accepts %s, another once-a-quarter expression", (expression) => {
    expect(isQuarterlyCron(expression)).toBe(true);
  });

  it.each([
    ["0 0 2 1 * ?", "fires every month"],
    ["0 0 2 1 1,7 ?", "fires twice a year"],
    ["0 0 2 1 1,4,7,11 ?", "has months not three apart"],
    ["0 0 2 1 2/4 ?", "fires every fourth month"],
    ["0 0 2 31 1,4,7,10 ?", "names a day missing from some months"],
    ["0 0 * 1 1,4,7,10 ?", "fires every hour"],
    ["0 */5 2 1 1,4,7,10 ?", "fires every five minutes"],
    ["0 0 2 ? 1,4,7,10 MON", "fires on weekdays"],
    ["0 0 2 1 1,4,7,10 ? 2027", "fires in one year only"],
    ["0 2 1 */3 *", "is a five-field Unix cron"],
    ["0 0 2 1 13 ?", "names a month that does not exist"],
  ])("rejects %s, which %s", (expression) => {
    expect(isQuarterlyCron(expression)).toBe(false);
  });

  it("expands month steps and names to the months they select", () => {
    expect(expandMonthField("*/3")).toEqual([1, 4, 7, 10]);
    expect(expandMonthField("2/3")).toEqual([2, 5, 8, 11]);
    expect(expandMonthField("MAR,JUN,SEP,DEC")).toEqual([3, 6, 9, 12]);
    expect(expandMonthField("1-3/x")).toBeUndefined();
  });
});

describe("time zones", () => {
  it.each(["UTC", "Europe/Amsterdam", "Asia/Kolkata", "Europe/Kyiv", "America/Argentina/Buenos_Aires"])("accepts the IANA zone %s", (zone) => {
    expect(isIanaTimeZone(zone)).toBe(true);
  });

  it.each(["CET+1", "CEST", "Europe/Atlantis", "GMT+2 ", "europe/amsterdam", ""])("rejects %j, which is not an IANA zone", (zone) => {
    expect(isIanaTimeZone(zone)).toBe(false);
  });
});

describe("Quartz cron expressions (any cadence, as BatchJob takes them)", () => {
  it.each(["0 0 2 1 1,4,7,10 ?", "0 30 6 ? * MON-FRI", "0 0 * * * ?", "0 15 10 ? * 6L", "0 0 12 L * ?", "0 0/5 14 * * ? 2030", "0 0 2 ? * SUN#1"])("accepts %s", (expression) => {
    expect(isQuartzCron(expression)).toBe(true);
  });

  it.each(["0 0 2 1 * *", "0 0 2 ? * ?", "0 0 2 1 1", "0 60 2 1 * ?", "0 0 24 1 * ?", "0 0 2 32 * ?", "0 0 2 1 13 ?", "0 0 2 ? * FUNDAY", "@daily", "* * * * * * * *"])("refuses %s", (expression) => {
    expect(isQuartzCron(expression)).toBe(false);
  });
});
