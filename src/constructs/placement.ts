import { isAzureRegion, nearestRegions, normalizeLocation } from "./azure-regions";
import { isUnresolved, PropValidator } from "./validation";

/** Where a construct's resources go: shared by every construct of the estate. */
export interface Placement {
  /** Resource group that holds the construct's resources. */
  readonly resourceGroupName: string;
  /** Azure region, such as `westeurope` (a display name such as `West Europe` is accepted too). */
  readonly location: string;
  /**
   * Tags applied to every taggable resource the construct creates (names of 1-512 characters
   * without `< > % & \ ? /`, values of at most 256 characters).
   * @default - no tags
   */
  readonly tags?: Record<string, string>;
}

/** Characters Azure refuses in tag names. */
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;
/** Longest tag name Azure accepts (resources; resource groups accept the same). */
export const TAG_NAME_MAX_LENGTH = 512;
/** Longest tag value Azure accepts. */
export const TAG_VALUE_MAX_LENGTH = 256;
/** Most tags Azure accepts on one resource. */
export const MAX_TAGS = 50;

/**
 * Checks a construct's placement, for every construct that takes `location`: the resource group
 * and region are present (JavaScript callers can omit them), the region is a public Azure region
 * (by name or display name, as azurerm accepts both) and the tags follow Azure's rules. A region
 * that is not one is reported once per stack, by the first construct given it, with the regions
 * nearest to it.
 */
export function checkPlacement(v: PropValidator, props: Partial<Placement> | undefined): void {
  v.required("resourceGroupName", props?.resourceGroupName, "the name of the resource group that holds the resources");
  v.required("location", props?.location, "an Azure region such as westeurope");
  checkLocation(v, "location", props?.location);
  checkTags(v, "tags", props?.tags);
}

/** Checks one region prop: a public Azure region, reported once per stack with its nearest matches. */
export function checkLocation(v: PropValidator, prop: string, location: string | undefined): void {
  if (location === undefined || location === null || isUnresolved(location)) return;
  const key = typeof location === "string" ? normalizeLocation(location) : String(location);
  v.once(`location:${key}`, () => {
    v.check(prop, location, (value) => typeof value === "string" && isAzureRegion(value), () => regionRule(location));
  });
}

/** What a bad region is refused with: the rule and the few regions nearest to it. */
export function regionRule(location: unknown): string {
  const nearest = typeof location === "string" ? nearestRegions(location) : [];
  return `an Azure region name or display name, such as westeurope or "West Europe"${nearest.length > 0 ? `; nearest: ${nearest.join(", ")}` : ""}`;
}

/** Checks tags by Azure's rules: non-empty names of at most 512 characters without < > % & \ ? /, values of at most 256. */
export function checkTags(v: PropValidator, prop: string, tags: Record<string, string> | undefined): void {
  if (tags === undefined || tags === null) return;
  if (typeof tags !== "object" || Array.isArray(tags)) {
    v.fail(prop, tags, "an object of tag names to string values");
    return;
  }
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) v.fail(prop, `(${entries.length} tags)`, `at most ${MAX_TAGS} tags on a resource`);
  for (const [name, value] of entries) {
    if (isUnresolved(name)) continue;
    if (name.trim().length === 0) v.fail(`${prop}[${JSON.stringify(name)}]`, name, "a non-empty tag name");
    else if (name.length > TAG_NAME_MAX_LENGTH) v.fail(`${prop}[${JSON.stringify(name)}]`, name, `a tag name of at most ${TAG_NAME_MAX_LENGTH} characters`);
    if (TAG_NAME_FORBIDDEN.test(name)) v.fail(`${prop}[${JSON.stringify(name)}]`, name, "a tag name without < > % & \\ ? / (Azure refuses them)");
    if (value === undefined || value === null || isUnresolved(value)) continue;
    if (typeof value !== "string") v.fail(`${prop}.${name}`, value, "a string tag value");
    else if (value.length > TAG_VALUE_MAX_LENGTH) v.fail(`${prop}.${name}`, value, `a tag value of at most ${TAG_VALUE_MAX_LENGTH} characters`);
  }
}
