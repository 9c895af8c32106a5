import { IPv4CidrRange } from "ip-num";

/**
 * Address ranges Azure refuses in a virtual network's address space (Azure Virtual Network FAQ,
 * "What address ranges can I use in my virtual networks?",
 * https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq): multicast, broadcast,
 * loopback, link-local, and Azure's internal DNS and health-probe address 168.63.129.16.
 */
export const AZURE_RESERVED_RANGES: ReadonlyArray<{ readonly cidr: string; readonly what: string }> = [
  { cidr: "224.0.0.0/4", what: "multicast" },
  { cidr: "255.255.255.255/32", what: "broadcast" },
  { cidr: "127.0.0.0/8", what: "loopback" },
  { cidr: "169.254.0.0/16", what: "link-local" },
  { cidr: "168.63.129.16/32", what: "Azure's internal DNS and health-probe address" },
];

const PARSED = AZURE_RESERVED_RANGES.map((reserved) => ({ ...reserved, range: IPv4CidrRange.fromCidr(reserved.cidr) }));

/** The reserved range a CIDR overlaps, as "<cidr> (<what>)", or undefined when it overlaps none. */
export function reservedRangeOverlapping(range: IPv4CidrRange): string | undefined {
  const reserved = PARSED.find((candidate) => candidate.range.isOverlapping(range) || candidate.range.inside(range) || range.inside(candidate.range));
  return reserved && `${reserved.cidr} (${reserved.what})`;
}
