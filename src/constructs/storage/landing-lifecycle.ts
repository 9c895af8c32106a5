import { Construct } from "constructs";
import { StorageManagementPolicy } from "@cdktf/provider-azurerm/lib/storage-management-policy";
import { PropValidator } from "../core/validation";

export const LANDING_COLD_TIERS = ["Archive", "Cold"] as const;
export type LandingColdTier = (typeof LANDING_COLD_TIERS)[number];

/** Azure offers no archive tier on zone-redundant accounts. */
export const ZONE_REDUNDANT_REPLICATION: readonly string[] = ["ZRS", "GZRS", "RAGZRS"];

/** How landed files age: the lake's props, each with its default. */
export interface LandingLifecycleInput {
  readonly landingCoolAfterDays?: number;
  readonly landingColdAfterDays?: number;
  readonly landingColdTier?: LandingColdTier;
}

/** The defaults, stated once: cool after 30 days, archive after 90. */
export const LANDING_LIFECYCLE_DEFAULTS = { coolAfterDays: 30, coldAfterDays: 90, coldTier: "Archive" } as const;

/** The lifecycle with its defaults resolved. */
export interface LandingLifecycle {
  readonly coolAfterDays: number;
  readonly coldAfterDays: number;
  readonly coldTier: LandingColdTier;
}

export function landingLifecycle(props: LandingLifecycleInput): LandingLifecycle {
  return {
    coolAfterDays: props.landingCoolAfterDays ?? LANDING_LIFECYCLE_DEFAULTS.coolAfterDays,
    coldAfterDays: props.landingColdAfterDays ?? LANDING_LIFECYCLE_DEFAULTS.coldAfterDays,
    coldTier: props.landingColdTier ?? LANDING_LIFECYCLE_DEFAULTS.coldTier,
  };
}

/** The days in range, cold after cool, and no archive tier on a zone-redundant account. */
export function checkLandingLifecycle(v: PropValidator, props: LandingLifecycleInput, replicationType: string): void {
  v.oneOf("landingColdTier", props.landingColdTier, LANDING_COLD_TIERS);
  v.range("landingCoolAfterDays", props.landingCoolAfterDays, 0, 99999);
  v.range("landingColdAfterDays", props.landingColdAfterDays, 0, 99999);
  const lifecycle = landingLifecycle(props);
  if (lifecycle.coldAfterDays <= lifecycle.coolAfterDays) {
    v.fail("landingColdAfterDays", lifecycle.coldAfterDays, `more days than landingCoolAfterDays (${lifecycle.coolAfterDays})`);
  }
  if (lifecycle.coldTier === "Archive" && ZONE_REDUNDANT_REPLICATION.includes(replicationType)) {
    v.fail("landingColdTier", "Archive", `"Cold" with replicationType ${replicationType}: Azure offers the archive tier only on LRS, GRS and RAGRS accounts`);
  }
}

/**
 * The account's lifecycle policy (a management-plane resource): landed files move to cool, then
 * to cold or archive. A rerun over archived files must rehydrate them first (docs/etl.md).
 */
export function landingTiering(scope: Construct, storageAccountId: string, landingContainer: string, lifecycle: LandingLifecycle): StorageManagementPolicy {
  return new StorageManagementPolicy(scope, "lifecycle", {
    storageAccountId,
    rule: [
      {
        name: "landing-tiering",
        enabled: true,
        filters: { blobTypes: ["blockBlob"], prefixMatch: [`${landingContainer}/`] },
        actions: {
          baseBlob: {
            tierToCoolAfterDaysSinceModificationGreaterThan: lifecycle.coolAfterDays,
            tierToArchiveAfterDaysSinceModificationGreaterThan: lifecycle.coldTier === "Archive" ? lifecycle.coldAfterDays : undefined,
            tierToColdAfterDaysSinceModificationGreaterThan: lifecycle.coldTier === "Cold" ? lifecycle.coldAfterDays : undefined,
          },
        },
      },
    ],
  });
}
