/**
 * The Azure VM sizes Azure Databricks runs clusters on, as data, for refusing a node type that
 * does not exist (issue 30). Exact case (the clusters API compares node type ids exactly); not per
 * region (availability varies by region and subscription quota, which only the workspace knows).
 * A type newer than this list is accepted when a job vouches for it
 * (`JobClusterOptions.vouchedNodeTypeIds`).
 *
 * Built on 2026-12-06 from:
 * - the VM series Azure Databricks lists in its "Flexible node type compatibility reference"
 *   (https://learn.microsoft.com/azure/databricks/compute/flexible-node-type-instances, read on
 *   2026-12-06 through the search index, which holds the start of its Standard_D table: every
 *   16-vCPU D type, and the 2- and 4-vCPU rows of another version of the page); the E, F, L and
 *   NC series are the page's families of the same generations;
 * - the sizes of each series from Azure's resource SKU list as generated into
 *   microsoft/aspire src/Aspire.Hosting.Azure.Kubernetes/AksNodeVmSizes.Generated.cs (commit
 *   59d405ff5a491bb191b1af881f2f657465521b3f, 2026-08-21): sizes of 4 vCPUs or more, no
 *   constrained-vCPU sizes (`E16-4ds_v5`), plus the three 2-vCPU types the reference lists
 *   (Standard_D11_v2, Standard_D2ads_v6, Standard_D2ds_v6) and Standard_H8 and Standard_H16,
 *   which it names as fallbacks.
 * It holds the types the estate's configs and examples use (Standard_D4ds_v5, Standard_D8ds_v5).
 */
export const AZURE_DATABRICKS_NODE_TYPES: readonly string[] = [
  // Dv2, DSv2
  "Standard_D3_v2", "Standard_D4_v2", "Standard_D5_v2", "Standard_D11_v2", "Standard_D12_v2", "Standard_D13_v2", "Standard_D14_v2",
  "Standard_D15_v2", "Standard_DS3_v2", "Standard_DS4_v2", "Standard_DS5_v2", "Standard_DS12_v2", "Standard_DS13_v2", "Standard_DS14_v2",
  "Standard_DS15_v2",
  // Dv3, Dsv3
  "Standard_D4_v3", "Standard_D4s_v3", "Standard_D8_v3", "Standard_D8s_v3", "Standard_D16_v3", "Standard_D16s_v3", "Standard_D32_v3",
  "Standard_D32s_v3", "Standard_D48_v3", "Standard_D48s_v3", "Standard_D64_v3", "Standard_D64s_v3",
  // Dav4, Dasv4, Ddv4, Ddsv4, Dsv4
  "Standard_D4a_v4", "Standard_D4as_v4", "Standard_D4d_v4", "Standard_D4ds_v4", "Standard_D4s_v4", "Standard_D8a_v4", "Standard_D8as_v4",
  "Standard_D8d_v4", "Standard_D8ds_v4", "Standard_D8s_v4", "Standard_D16a_v4", "Standard_D16as_v4", "Standard_D16d_v4", "Standard_D16ds_v4",
  "Standard_D16s_v4", "Standard_D32a_v4", "Standard_D32as_v4", "Standard_D32d_v4", "Standard_D32ds_v4", "Standard_D32s_v4", "Standard_D48a_v4",
  "Standard_D48as_v4", "Standard_D48d_v4", "Standard_D48ds_v4", "Standard_D48s_v4", "Standard_D64a_v4", "Standard_D64as_v4", "Standard_D64d_v4",
  "Standard_D64ds_v4", "Standard_D64s_v4", "Standard_D96a_v4", "Standard_D96as_v4",
  // Dadsv5, Dasv5, Ddsv5, Dsv5, DCesv5
  "Standard_D4ads_v5", "Standard_D4as_v5", "Standard_D4ds_v5", "Standard_D4s_v5", "Standard_D8ads_v5", "Standard_D8as_v5", "Standard_D8ds_v5",
  "Standard_D8s_v5", "Standard_D16ads_v5", "Standard_D16as_v5", "Standard_D16ds_v5", "Standard_D16s_v5", "Standard_D32ads_v5", "Standard_D32as_v5",
  "Standard_D32ds_v5", "Standard_D32s_v5", "Standard_D48ads_v5", "Standard_D48as_v5", "Standard_D48ds_v5", "Standard_D48s_v5", "Standard_D64ads_v5",
  "Standard_D64as_v5", "Standard_D64ds_v5", "Standard_D64s_v5", "Standard_D96ads_v5", "Standard_D96as_v5", "Standard_D96ds_v5", "Standard_D96s_v5",
  "Standard_DC4es_v5", "Standard_DC8es_v5", "Standard_DC16es_v5", "Standard_DC32es_v5", "Standard_DC48es_v5", "Standard_DC64es_v5",
  "Standard_DC96es_v5",
  // Dadsv6, Dasv6, Daldsv6, Dalsv6, Ddsv6, Dldsv6, Dsv6, Dpdsv6, Dpldsv6, Dplsv6, Dpsv6
  "Standard_D2ads_v6", "Standard_D2ds_v6", "Standard_D4ads_v6", "Standard_D4alds_v6", "Standard_D4als_v6", "Standard_D4as_v6", "Standard_D4ds_v6",
  "Standard_D4lds_v6", "Standard_D4pds_v6", "Standard_D4plds_v6", "Standard_D4pls_v6", "Standard_D4ps_v6", "Standard_D4s_v6", "Standard_D8ads_v6",
  "Standard_D8alds_v6", "Standard_D8als_v6", "Standard_D8as_v6", "Standard_D8ds_v6", "Standard_D8lds_v6", "Standard_D8pds_v6", "Standard_D8plds_v6",
  "Standard_D8pls_v6", "Standard_D8ps_v6", "Standard_D8s_v6", "Standard_D16ads_v6", "Standard_D16alds_v6", "Standard_D16als_v6", "Standard_D16as_v6",
  "Standard_D16ds_v6", "Standard_D16lds_v6", "Standard_D16pds_v6", "Standard_D16plds_v6", "Standard_D16pls_v6", "Standard_D16ps_v6",
  "Standard_D16s_v6", "Standard_D32ads_v6", "Standard_D32alds_v6", "Standard_D32als_v6", "Standard_D32as_v6", "Standard_D32ds_v6",
  "Standard_D32lds_v6", "Standard_D32pds_v6", "Standard_D32plds_v6", "Standard_D32pls_v6", "Standard_D32ps_v6", "Standard_D32s_v6",
  "Standard_D48ads_v6", "Standard_D48alds_v6", "Standard_D48als_v6", "Standard_D48as_v6", "Standard_D48ds_v6", "Standard_D48lds_v6",
  "Standard_D48pds_v6", "Standard_D48plds_v6", "Standard_D48pls_v6", "Standard_D48ps_v6", "Standard_D48s_v6", "Standard_D64ads_v6",
  "Standard_D64alds_v6", "Standard_D64als_v6", "Standard_D64as_v6", "Standard_D64ds_v6", "Standard_D64lds_v6", "Standard_D64pds_v6",
  "Standard_D64plds_v6", "Standard_D64pls_v6", "Standard_D64ps_v6", "Standard_D64s_v6", "Standard_D96ads_v6", "Standard_D96alds_v6",
  "Standard_D96als_v6", "Standard_D96as_v6", "Standard_D96ds_v6", "Standard_D96lds_v6", "Standard_D96pds_v6", "Standard_D96plds_v6",
  "Standard_D96pls_v6", "Standard_D96ps_v6", "Standard_D96s_v6", "Standard_D128ds_v6", "Standard_D128lds_v6", "Standard_D128s_v6",
  "Standard_D192ds_v6", "Standard_D192s_v6",
  // Dadsv7, Dasv7, Ddsv7
  "Standard_D4ads_v7", "Standard_D4as_v7", "Standard_D4ds_v7", "Standard_D8ads_v7", "Standard_D8as_v7", "Standard_D8ds_v7", "Standard_D16ads_v7",
  "Standard_D16as_v7", "Standard_D16ds_v7", "Standard_D32ads_v7", "Standard_D32as_v7", "Standard_D32ds_v7", "Standard_D48ads_v7",
  "Standard_D48as_v7", "Standard_D48ds_v7", "Standard_D64ads_v7", "Standard_D64as_v7", "Standard_D64ds_v7", "Standard_D96ads_v7",
  "Standard_D96as_v7", "Standard_D96ds_v7", "Standard_D128ads_v7", "Standard_D128as_v7", "Standard_D128ds_v7", "Standard_D160ads_v7",
  "Standard_D160as_v7", "Standard_D192ds_v7",
  // Ev3, Esv3
  "Standard_E4_v3", "Standard_E4s_v3", "Standard_E8_v3", "Standard_E8s_v3", "Standard_E16_v3", "Standard_E16s_v3", "Standard_E20_v3",
  "Standard_E20s_v3", "Standard_E32_v3", "Standard_E32s_v3", "Standard_E48_v3", "Standard_E48s_v3", "Standard_E64_v3", "Standard_E64s_v3",
  // Eav4, Easv4, Edv4, Edsv4, Esv4
  "Standard_E4a_v4", "Standard_E4as_v4", "Standard_E4d_v4", "Standard_E4ds_v4", "Standard_E4s_v4", "Standard_E8a_v4", "Standard_E8as_v4",
  "Standard_E8d_v4", "Standard_E8ds_v4", "Standard_E8s_v4", "Standard_E16a_v4", "Standard_E16as_v4", "Standard_E16d_v4", "Standard_E16ds_v4",
  "Standard_E16s_v4", "Standard_E20a_v4", "Standard_E20as_v4", "Standard_E20d_v4", "Standard_E20ds_v4", "Standard_E20s_v4", "Standard_E32a_v4",
  "Standard_E32as_v4", "Standard_E32d_v4", "Standard_E32ds_v4", "Standard_E32s_v4", "Standard_E48a_v4", "Standard_E48as_v4", "Standard_E48d_v4",
  "Standard_E48ds_v4", "Standard_E48s_v4", "Standard_E64a_v4", "Standard_E64as_v4", "Standard_E64d_v4", "Standard_E64ds_v4", "Standard_E64s_v4",
  "Standard_E96a_v4", "Standard_E96as_v4",
  // Eadsv5, Easv5, Edsv5, Esv5
  "Standard_E4ads_v5", "Standard_E4as_v5", "Standard_E4ds_v5", "Standard_E4s_v5", "Standard_E8ads_v5", "Standard_E8as_v5", "Standard_E8ds_v5",
  "Standard_E8s_v5", "Standard_E16ads_v5", "Standard_E16as_v5", "Standard_E16ds_v5", "Standard_E16s_v5", "Standard_E20ads_v5", "Standard_E20as_v5",
  "Standard_E20ds_v5", "Standard_E20s_v5", "Standard_E32ads_v5", "Standard_E32as_v5", "Standard_E32ds_v5", "Standard_E32s_v5", "Standard_E48ads_v5",
  "Standard_E48as_v5", "Standard_E48ds_v5", "Standard_E48s_v5", "Standard_E64ads_v5", "Standard_E64as_v5", "Standard_E64ds_v5", "Standard_E64s_v5",
  "Standard_E96ads_v5", "Standard_E96as_v5", "Standard_E96ds_v5", "Standard_E96s_v5",
  // Eadsv6, Easv6, Edsv6, Esv6, Epdsv6, Epsv6
  "Standard_E4ads_v6", "Standard_E4as_v6", "Standard_E4ds_v6", "Standard_E4pds_v6", "Standard_E4ps_v6", "Standard_E4s_v6", "Standard_E8ads_v6",
  "Standard_E8as_v6", "Standard_E8ds_v6", "Standard_E8pds_v6", "Standard_E8ps_v6", "Standard_E8s_v6", "Standard_E16ads_v6", "Standard_E16as_v6",
  "Standard_E16ds_v6", "Standard_E16pds_v6", "Standard_E16ps_v6", "Standard_E16s_v6", "Standard_E20ads_v6", "Standard_E20as_v6", "Standard_E20ds_v6",
  "Standard_E20s_v6", "Standard_E32ads_v6", "Standard_E32as_v6", "Standard_E32ds_v6", "Standard_E32pds_v6", "Standard_E32ps_v6", "Standard_E32s_v6",
  "Standard_E48ads_v6", "Standard_E48as_v6", "Standard_E48ds_v6", "Standard_E48pds_v6", "Standard_E48ps_v6", "Standard_E48s_v6",
  "Standard_E64ads_v6", "Standard_E64as_v6", "Standard_E64ds_v6", "Standard_E64pds_v6", "Standard_E64ps_v6", "Standard_E64s_v6",
  "Standard_E96ads_v6", "Standard_E96as_v6", "Standard_E96ds_v6", "Standard_E96pds_v6", "Standard_E96ps_v6", "Standard_E96s_v6",
  "Standard_E128ds_v6", "Standard_E128s_v6", "Standard_E192ids_v6", "Standard_E192is_v6",
  // Eadsv7, Easv7, Edsv7
  "Standard_E4ads_v7", "Standard_E4as_v7", "Standard_E4ds_v7", "Standard_E8ads_v7", "Standard_E8as_v7", "Standard_E8ds_v7", "Standard_E16ads_v7",
  "Standard_E16as_v7", "Standard_E16ds_v7", "Standard_E20ds_v7", "Standard_E32ads_v7", "Standard_E32as_v7", "Standard_E32ds_v7",
  "Standard_E48ads_v7", "Standard_E48as_v7", "Standard_E48ds_v7", "Standard_E64ads_v7", "Standard_E64as_v7", "Standard_E64ds_v7",
  "Standard_E96ads_v7", "Standard_E96as_v7", "Standard_E96ds_v7", "Standard_E128ads_v7", "Standard_E128as_v7", "Standard_E128ds_v7",
  "Standard_E160ads_v7", "Standard_E160as_v7", "Standard_E192ds_v7",
  // Fs, Fsv2
  "Standard_F4s", "Standard_F4s_v2", "Standard_F8s", "Standard_F8s_v2", "Standard_F16s", "Standard_F16s_v2", "Standard_F32s_v2", "Standard_F48s_v2",
  "Standard_F64s_v2", "Standard_F72s_v2",
  // Fasv6, Falsv6, Famsv6
  "Standard_F4als_v6", "Standard_F4ams_v6", "Standard_F4as_v6", "Standard_F8als_v6", "Standard_F8ams_v6", "Standard_F8as_v6", "Standard_F16als_v6",
  "Standard_F16ams_v6", "Standard_F16as_v6", "Standard_F32als_v6", "Standard_F32ams_v6", "Standard_F32as_v6", "Standard_F48als_v6",
  "Standard_F48ams_v6", "Standard_F48as_v6", "Standard_F64als_v6", "Standard_F64ams_v6", "Standard_F64as_v6",
  // Fadsv7, Fasv7, Faldsv7, Falsv7, Famsv7, Famdsv7
  "Standard_F4ads_v7", "Standard_F4alds_v7", "Standard_F4als_v7", "Standard_F4amds_v7", "Standard_F4ams_v7", "Standard_F4as_v7", "Standard_F8ads_v7",
  "Standard_F8alds_v7", "Standard_F8als_v7", "Standard_F8amds_v7", "Standard_F8ams_v7", "Standard_F8as_v7", "Standard_F16ads_v7",
  "Standard_F16alds_v7", "Standard_F16als_v7", "Standard_F16amds_v7", "Standard_F16ams_v7", "Standard_F16as_v7", "Standard_F32ads_v7",
  "Standard_F32alds_v7", "Standard_F32als_v7", "Standard_F32amds_v7", "Standard_F32ams_v7", "Standard_F32as_v7", "Standard_F48ads_v7",
  "Standard_F48alds_v7", "Standard_F48als_v7", "Standard_F48amds_v7", "Standard_F48ams_v7", "Standard_F48as_v7", "Standard_F64ads_v7",
  "Standard_F64alds_v7", "Standard_F64als_v7", "Standard_F64amds_v7", "Standard_F64ams_v7", "Standard_F64as_v7", "Standard_F80ads_v7",
  "Standard_F80alds_v7", "Standard_F80als_v7", "Standard_F80amds_v7", "Standard_F80ams_v7", "Standard_F80as_v7",
  // Ls, Lsv2, Lsv3, Lasv3
  "Standard_L4s", "Standard_L8as_v3", "Standard_L8s", "Standard_L8s_v2", "Standard_L8s_v3", "Standard_L16as_v3", "Standard_L16s", "Standard_L16s_v2",
  "Standard_L16s_v3", "Standard_L32as_v3", "Standard_L32s", "Standard_L32s_v2", "Standard_L32s_v3", "Standard_L48as_v3", "Standard_L48s_v2",
  "Standard_L48s_v3", "Standard_L64as_v3", "Standard_L64s_v2", "Standard_L64s_v3", "Standard_L80as_v3", "Standard_L80s_v2", "Standard_L80s_v3",
  // NCv3, NCasT4_v3, NC A100 v4, NC H100 v5
  "Standard_NC4as_T4_v3", "Standard_NC6s_v3", "Standard_NC8as_T4_v3", "Standard_NC12s_v3", "Standard_NC16as_T4_v3", "Standard_NC24ads_A100_v4",
  "Standard_NC24rs_v3", "Standard_NC24s_v3", "Standard_NC40ads_H100_v5", "Standard_NC48ads_A100_v4", "Standard_NC64as_T4_v3",
  "Standard_NC80adis_H100_v5", "Standard_NC96ads_A100_v4",
  // Seen in the reference (D13_v2 and D14_v2 fall back to them), no longer in the Azure SKU list
  "Standard_H8", "Standard_H16",
];

/** The date the list was built, named in messages so a user knows how old it is. */
export const AZURE_DATABRICKS_NODE_TYPES_DATE = "2026-12-06";

const KNOWN = new Set(AZURE_DATABRICKS_NODE_TYPES);

/** True for a node type on the list, in its exact case. */
export function isAzureDatabricksNodeType(nodeTypeId: string): boolean {
  return KNOWN.has(nodeTypeId);
}
