/**
 * The compute SKUs PostgreSQL Flexible Server offers, as azurerm names them
 * (`<tier>_Standard_<size>`): Burstable B-series, General Purpose D-series and Memory Optimized
 * E-series, each series with the vCPU sizes Azure sells (there is no D3 or E6).
 */
function series(tier: string, family: string, sizes: readonly number[], suffix: string): string[] {
  return sizes.map((vcpus) => `${tier}_Standard_${family}${vcpus}${suffix}`);
}

const D_V3_V4 = [2, 4, 8, 16, 32, 48, 64] as const;
const D_V5 = [2, 4, 8, 16, 32, 48, 64, 96] as const;
const E_V3_V4 = [2, 4, 8, 16, 20, 32, 48, 64] as const;
const E_V5 = [2, 4, 8, 16, 20, 32, 48, 64, 96] as const;

/** Every Flexible Server compute SKU, such as `GP_Standard_D2ds_v5`. */
export const POSTGRES_SKUS: readonly string[] = [
  ...["B1ms", "B2s", "B2ms", "B4ms", "B8ms", "B12ms", "B16ms", "B20ms"].map((size) => `B_Standard_${size}`),
  ...series("GP", "D", D_V3_V4, "s_v3"),
  ...series("GP", "D", D_V3_V4, "ds_v4"),
  ...series("GP", "D", D_V5, "ds_v5"),
  ...series("GP", "D", D_V5, "ads_v5"),
  ...series("MO", "E", E_V3_V4, "s_v3"),
  ...series("MO", "E", E_V3_V4, "ds_v4"),
  ...series("MO", "E", E_V5, "ds_v5"),
  ...series("MO", "E", E_V5, "ads_v5"),
];

/** True for a SKU of the catalogue. */
export function isPostgresSku(sku: string): boolean {
  return POSTGRES_SKUS.includes(sku);
}

/** True for a burstable SKU, which offers no high availability. */
export function isBurstableSku(sku: string): boolean {
  return sku.startsWith("B_");
}
