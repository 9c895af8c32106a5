import { closestMatches } from "./validation";

/**
 * The public Azure regions, by the name ARM uses (`westeurope`) and the display name the portal
 * shows (`West Europe`). azurerm accepts either, because it compares locations after lowercasing
 * them and removing spaces; {@link isAzureRegion} does the same.
 */
export const AZURE_REGIONS: Readonly<Record<string, string>> = {
  eastus: "East US",
  eastus2: "East US 2",
  southcentralus: "South Central US",
  westus2: "West US 2",
  westus3: "West US 3",
  australiaeast: "Australia East",
  southeastasia: "Southeast Asia",
  northeurope: "North Europe",
  swedencentral: "Sweden Central",
  uksouth: "UK South",
  westeurope: "West Europe",
  centralus: "Central US",
  southafricanorth: "South Africa North",
  centralindia: "Central India",
  eastasia: "East Asia",
  indonesiacentral: "Indonesia Central",
  japaneast: "Japan East",
  japanwest: "Japan West",
  koreacentral: "Korea Central",
  malaysiawest: "Malaysia West",
  newzealandnorth: "New Zealand North",
  canadacentral: "Canada Central",
  austriaeast: "Austria East",
  belgiumcentral: "Belgium Central",
  denmarkeast: "Denmark East",
  francecentral: "France Central",
  germanywestcentral: "Germany West Central",
  italynorth: "Italy North",
  norwayeast: "Norway East",
  polandcentral: "Poland Central",
  spaincentral: "Spain Central",
  switzerlandnorth: "Switzerland North",
  mexicocentral: "Mexico Central",
  uaenorth: "UAE North",
  brazilsouth: "Brazil South",
  chilecentral: "Chile Central",
  israelcentral: "Israel Central",
  qatarcentral: "Qatar Central",
  northcentralus: "North Central US",
  westus: "West US",
  westcentralus: "West Central US",
  centraluseuap: "Central US EUAP",
  eastus2euap: "East US 2 EUAP",
  jioindiawest: "Jio India West",
  jioindiacentral: "Jio India Central",
  southafricawest: "South Africa West",
  australiacentral: "Australia Central",
  australiacentral2: "Australia Central 2",
  australiasoutheast: "Australia Southeast",
  koreasouth: "Korea South",
  southindia: "South India",
  westindia: "West India",
  canadaeast: "Canada East",
  francesouth: "France South",
  germanynorth: "Germany North",
  norwaywest: "Norway West",
  switzerlandwest: "Switzerland West",
  ukwest: "UK West",
  uaecentral: "UAE Central",
  brazilsoutheast: "Brazil Southeast",
  swedensouth: "Sweden South",
  taiwannorth: "Taiwan North",
  taiwannorthwest: "Taiwan Northwest",
};

/** The form azurerm compares locations in: lowercase, without spaces (`West Europe` → `westeurope`). */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

/** True for a public Azure region, given by name (`westeurope`) or display name (`West Europe`). */
export function isAzureRegion(location: string): boolean {
  return Object.prototype.hasOwnProperty.call(AZURE_REGIONS, normalizeLocation(location));
}

/**
 * The regions nearest to a name that is not one (`westeruope` → westeurope), by edit distance, a
 * region that contains the name counting as near: at most `count`, for messages.
 */
export function nearestRegions(location: string, count = 3): string[] {
  return closestMatches(normalizeLocation(location), Object.keys(AZURE_REGIONS), count);
}
