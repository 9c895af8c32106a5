/**
 * vCPUs and quota family of the Azure VM sizes a Databricks job cluster may run on, for the vCPU
 * quota a deploy needs. Azure grants quota per region in two counters a cluster draws on at once:
 * its VM family's (`standardDDSv5Family`, shown as "Standard DDSv5 Family vCPUs") and the region's
 * total (`cores`, "Total Regional vCPUs"); `az vm list-usage --location <region>` lists both by
 * those names (https://learn.microsoft.com/azure/virtual-machines/quotas).
 *
 * Sizes and vCPU counts: the Azure VM size pages of each series (Dv5/Dsv5/Ddv5/Ddsv5, Dv4/Ddsv4,
 * Dv2/DSv2, Ev5/Esv5/Edsv5, Edsv4, Fsv2, Lsv3), as read on 2026-12-06. A size missing here is
 * refused by preflight's quota check with its name, so the table is extended, never guessed.
 */

/** One VM size: its vCPUs and the quota family it counts against. */
export interface VmSize {
  readonly vCpus: number;
  /** The family's quota name, as `az vm list-usage` prints it in `name.value`. */
  readonly family: string;
}

/** The region-wide quota every VM also counts against. */
export const TOTAL_REGIONAL_VCPUS = "cores";

/** A series whose sizes are `Standard_<prefix><vCPUs><suffix>`. */
function series(prefix: string, suffix: string, family: string, vCpus: readonly number[]): Array<[string, VmSize]> {
  return vCpus.map((count) => [`Standard_${prefix}${count}${suffix}`, { vCpus: count, family }]);
}

const V5_D = [2, 4, 8, 16, 32, 48, 64, 96];
const V5_E = [2, 4, 8, 16, 20, 32, 48, 64, 96];

export const VM_SIZES: Readonly<Record<string, VmSize>> = Object.fromEntries([
  ...series("D", "ds_v5", "standardDDSv5Family", V5_D),
  ...series("D", "d_v5", "standardDDv5Family", V5_D),
  ...series("D", "s_v5", "standardDSv5Family", V5_D),
  ...series("D", "_v5", "standardDv5Family", V5_D),
  ...series("D", "ds_v4", "standardDDSv4Family", [2, 4, 8, 16, 32, 48, 64]),
  ...series("D", "s_v4", "standardDSv4Family", [2, 4, 8, 16, 32, 48, 64]),
  ...series("E", "ds_v5", "standardEDSv5Family", V5_E),
  ...series("E", "s_v5", "standardESv5Family", V5_E),
  ...series("E", "_v5", "standardEv5Family", V5_E),
  ...series("E", "ds_v4", "standardEDSv4Family", [2, 4, 8, 16, 20, 32, 48, 64]),
  ...series("F", "s_v2", "standardFSv2Family", [2, 4, 8, 16, 32, 48, 64, 72]),
  ...series("L", "s_v3", "standardLSv3Family", [8, 16, 32, 48, 64, 80]),
  // The v2 sizes are numbered, not counted: DS3_v2 has 4 vCPUs.
  ["Standard_DS3_v2", { vCpus: 4, family: "standardDSv2Family" }],
  ["Standard_DS4_v2", { vCpus: 8, family: "standardDSv2Family" }],
  ["Standard_DS5_v2", { vCpus: 16, family: "standardDSv2Family" }],
  ["Standard_D3_v2", { vCpus: 4, family: "standardDv2Family" }],
  ["Standard_D4_v2", { vCpus: 8, family: "standardDv2Family" }],
  ["Standard_D5_v2", { vCpus: 16, family: "standardDv2Family" }],
]);
