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

/**
 * Azure's tag limits ("Use tags to organize your Azure resources", Limitations,
 * https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources): at most 50
 * tags on a resource, names of at most 512 characters (128 on storage accounts) without
 * < > % & \ ? /, values of at most 256.
 */
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;
/** Longest tag name Azure accepts (resources; resource groups accept the same). */
export const TAG_NAME_MAX_LENGTH = 512;
/** Longest tag name a storage account accepts. */
export const STORAGE_ACCOUNT_TAG_NAME_MAX_LENGTH = 128;
/** Longest tag value Azure accepts. */
export const TAG_VALUE_MAX_LENGTH = 256;
/** Most tags Azure accepts on one resource. */
export const MAX_TAGS = 50;

/**
 * Azure's rule for resource group names (Microsoft.Resources/resourcegroups in "Naming rules and
 * restrictions for Azure resources",
 * https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules): 1-90
 * letters, digits, underscores, hyphens, periods and parentheses, not ending in a period.
 */
export const RESOURCE_GROUP_NAME = /^[-\w.()\p{L}\p{N}]{0,89}[-\w()\p{L}\p{N}]$/u;
const RESOURCE_GROUP_RULE = "1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period";

/** How a construct's tags are limited beyond Azure's general rule. */
export interface TagLimits {
  /** Longest tag name the tagged resources accept (a storage account's is 128). @default 512 */
  readonly nameMaxLength?: number;
  /** Most tags the tagged resources accept, with those the library adds. @default 50 */
  readonly maxTags?: number;
  /** Tag names the library adds to the user's, which count towards `maxTags`. @default - none */
  readonly added?: readonly string[];
  /** What holds the tags, for messages, such as "the job". @default "a resource" */
  readonly holder?: string;
}

/**
 * Checks a construct's placement, for every construct that takes `location`: the resource group
 * and region are present (JavaScript callers can omit them), the resource group name and the
 * region are ones Azure accepts (a region by name or display name, as azurerm accepts both) and
 * the tags follow Azure's rules. A region that is not one is reported once per stack, by the
 * first construct given it, with the regions nearest to it; so are a bad resource group name and
 * a bad tag.
 */
export function checkPlacement(v: PropValidator, props: Partial<Placement> | undefined, tagLimits: TagLimits = {}): void {
  v.required("resourceGroupName", props?.resourceGroupName, "the name of the resource group that holds the resources");
  const group = props?.resourceGroupName;
  if (typeof group === "string" && group.trim() !== "") v.once(`resource-group:${group}`, () => v.check("resourceGroupName", group, (name) => RESOURCE_GROUP_NAME.test(name), RESOURCE_GROUP_RULE));
  v.required("location", props?.location, "an Azure region such as westeurope");
  checkLocation(v, "location", props?.location);
  checkTags(v, "tags", props?.tags, tagLimits);
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

/**
 * Checks tags by Azure's rules (or stricter `limits`): non-empty names without < > % & \ ? / of
 * at most 512 characters, values of at most 256, at most 50 tags with those the library adds. One
 * bad tag given to several constructs of a stack is reported once, by the first.
 */
export function checkTags(v: PropValidator, prop: string, tags: Record<string, string> | undefined, limits: TagLimits = {}): void {
  if (tags === undefined || tags === null) return;
  if (typeof tags !== "object" || Array.isArray(tags)) {
    v.fail(prop, tags, "an object of tag names to string values");
    return;
  }
  const nameMax = limits.nameMaxLength ?? TAG_NAME_MAX_LENGTH;
  const maxTags = limits.maxTags ?? MAX_TAGS;
  const holder = limits.holder ?? "a resource";
  const entries = Object.entries(tags);
  const added = (limits.added ?? []).filter((name) => !(name in tags));
  if (entries.length + added.length > maxTags) {
    const addedText = added.length > 0 ? ` (${maxTags - added.length} of yours with the ${added.length} this library adds: ${added.join(", ")})` : "";
    // One set of tags over a limit is one problem for the stack, reported by the first construct it is given to.
    v.once(`tags-count:${entries.map(([name]) => name).join("\u0000")}`, () => v.fail(prop, `(${entries.length} tags)`, `at most ${maxTags} tags on ${holder}${addedText}`));
  }
  for (const [name, value] of entries) {
    if (isUnresolved(name)) continue;
    const at = `${prop}[${JSON.stringify(name)}]`;
    // A name against Azure's general rule is one problem for the stack; one only a stricter resource refuses is that resource's.
    v.once(`tag-name:${name}`, () => {
      if (name.trim().length === 0) v.fail(at, name, "a non-empty tag name");
      else if (name.length > TAG_NAME_MAX_LENGTH) v.fail(at, name, `a tag name of at most ${TAG_NAME_MAX_LENGTH} characters (it has ${name.length})`);
      if (TAG_NAME_FORBIDDEN.test(name)) v.fail(at, name, "a tag name without < > % & \\ ? / (Azure refuses them)");
    });
    if (name.length > nameMax && name.length <= TAG_NAME_MAX_LENGTH) {
      v.once(`tag-name:${name}:${nameMax}`, () => v.fail(at, name, `a tag name of at most ${nameMax} characters on ${holder} (it has ${name.length})`));
    }
    if (value === undefined || value === null || isUnresolved(value)) continue;
    v.once(`tag-value:${name}:${String(value)}`, () => {
      if (typeof value !== "string") v.fail(`${prop}.${name}`, value, "a string tag value");
      else if (value.length > TAG_VALUE_MAX_LENGTH) v.fail(`${prop}.${name}`, value, `a tag value of at most ${TAG_VALUE_MAX_LENGTH} characters (it has ${value.length})`);
    });
  }
}
