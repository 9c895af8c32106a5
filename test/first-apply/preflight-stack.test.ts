/**
 * Preflight on the synthesized stack (issue 25): the remote side of a peering lands in its VNet's
 * subscription, and the region's vCPU quota holds the job clusters at their largest.
 */
import { Testing } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { EnvironmentConfig, stackName } from "../../src/stacks/config";
import { EstateStack } from "../../src/stacks/estate-stack";
import { parseVmUsage, peeringSubscriptionProblems, quotaProblems, SynthesizedStackJson, vcpuNeeds, VmUsage } from "../../src/tools/preflight-stack";
import { network } from "../foundation/fixtures";
import { bareStack, CONFIGS, synthEnvironment, synthStack } from "../helpers/synth";

const ESTATE_SUBSCRIPTION = "aaaaaaaa-1111-4222-8333-444444444444";
const AGENTS_SUBSCRIPTION = "bbbbbbbb-5555-4666-8777-888888888888";
const agentsVnet = `/subscriptions/${AGENTS_SUBSCRIPTION}/resourceGroups/rg-agents/providers/Microsoft.Network/virtualNetworks/vnet-agents`;
const AGENTS = { name: "agents", virtualNetworkId: agentsVnet, addressSpaces: ["10.200.0.0/24"] };

/** A network peered with the agents' VNet, its provider's subscription left to ARM_SUBSCRIPTION_ID. */
function peeredNetwork(reverseProvider?: (stack: ReturnType<typeof bareStack>["stack"]) => AzurermProvider) {
  const { stack } = bareStack();
  network(stack, { peeredNetworks: [{ ...AGENTS, reversePeeringProvider: reverseProvider?.(stack) }] });
  return { stack, synthesized: synthStack(stack) as unknown as SynthesizedStackJson };
}

function prodWithAgentsIn(subscription: string): SynthesizedStackJson {
  const config: EnvironmentConfig = {
    ...CONFIGS.prod,
    network: { ...CONFIGS.prod.network, peeredNetworks: [{ ...AGENTS, virtualNetworkId: agentsVnet.replace(AGENTS_SUBSCRIPTION, subscription) }] },
  };
  return synthStack(new EstateStack(Testing.app(), stackName("prod"), config)) as unknown as SynthesizedStackJson;
}

describe("the remote side of a peering", () => {
  it("is refused when ARM_SUBSCRIPTION_ID would put it in the estate's subscription and the VNet is in another", () => {
    const problems = peeringSubscriptionProblems(peeredNetwork().synthesized, ESTATE_SUBSCRIPTION);
    expect(problems).toEqual([
      expect.objectContaining({ kind: "peering", path: expect.stringMatching(/^azurerm_virtual_network_peering\.network_peering-from-agents/), value: "rg-agents/vnet-agents", problem: expect.stringContaining(`subscription ${ESTATE_SUBSCRIPTION} (ARM_SUBSCRIPTION_ID), but the VNet is in ${AGENTS_SUBSCRIPTION}`) }),
    ]);
  });

  it("is refused when ARM_SUBSCRIPTION_ID is unset, since its subscription cannot be told", () => {
    expect(peeringSubscriptionProblems(peeredNetwork().synthesized, undefined)).toEqual([expect.objectContaining({ kind: "peering", problem: expect.stringContaining("ARM_SUBSCRIPTION_ID, which is unset") })]);
  });

  it("passes when ARM_SUBSCRIPTION_ID is the VNet's subscription (the control)", () => {
    expect(peeringSubscriptionProblems(peeredNetwork().synthesized, AGENTS_SUBSCRIPTION)).toEqual([]);
  });

  it("passes whatever ARM_SUBSCRIPTION_ID says when its provider names the VNet's subscription", () => {
    const { synthesized } = peeredNetwork((stack) => new AzurermProvider(stack, "agents", { alias: "agents", subscriptionId: AGENTS_SUBSCRIPTION, features: [{}] }));
    expect(peeringSubscriptionProblems(synthesized, ESTATE_SUBSCRIPTION)).toEqual([]);
  });

  it("is refused when its provider names another subscription than the VNet's (which synth refuses too, for stacks it builds)", () => {
    const { synthesized } = peeredNetwork((stack) => new AzurermProvider(stack, "agents", { alias: "agents", subscriptionId: AGENTS_SUBSCRIPTION, features: [{}] }));
    const agents = (synthesized.provider?.azurerm ?? []).find((block) => block.alias === "agents") as Record<string, unknown>;
    agents.subscription_id = ESTATE_SUBSCRIPTION;
    expect(peeringSubscriptionProblems(synthesized, AGENTS_SUBSCRIPTION)).toEqual([expect.objectContaining({ kind: "peering", problem: expect.stringContaining("its provider (azurerm.agents)") })]);
  });

  it("of each estate stack goes to a provider pinned to the agents' subscription, so no ARM_SUBSCRIPTION_ID can misplace it", () => {
    const synthesized = prodWithAgentsIn(AGENTS_SUBSCRIPTION);
    expect(peeringSubscriptionProblems(synthesized, ESTATE_SUBSCRIPTION)).toEqual([]);
    const agents = (synthesized.provider?.azurerm ?? []).find((block) => block.alias === "agents");
    expect(agents).toMatchObject({ subscription_id: AGENTS_SUBSCRIPTION, resource_provider_registrations: "none" });
  });
});

/** `az vm list-usage` output with these limits, nothing in use. */
function usage(limits: Record<string, number>): VmUsage[] {
  return Object.entries(limits).map(([value, limit]) => ({ name: { value, localizedValue: value }, currentValue: 0, limit }));
}

describe("the vCPU quota", () => {
  const prod = synthEnvironment("prod") as unknown as SynthesizedStackJson;

  it("prod's job cluster needs 24 vCPUs of the DDSv5 family at start and 72 at its largest, in West Europe", () => {
    expect(vcpuNeeds(prod)).toEqual({
      region: "westeurope",
      needs: [
        { quota: "standardDDSv5Family", atStart: 24, atMost: 72 },
        { quota: "cores", atStart: 24, atMost: 72 },
      ],
      unknownSizes: [],
    });
  });

  it("is refused when a fresh subscription's 10 vCPUs per family cannot hold it", () => {
    const problems = quotaProblems(prod, usage({ standardDDSv5Family: 10, cores: 100 }));
    expect(problems).toEqual([expect.objectContaining({ kind: "quota", path: "quota standardDDSv5Family", value: "10 free", problem: expect.stringContaining("need up to 72 vCPUs (24 at start)") })]);
  });

  it("counts what is already in use, and the region's total", () => {
    const inUse = [{ name: { value: "standardDDSv5Family" }, currentValue: 40, limit: 100 }, { name: { value: "cores" }, currentValue: 0, limit: 50 }];
    expect(quotaProblems(prod, inUse).map((problem) => problem.path)).toEqual(["quota standardDDSv5Family", "quota cores"]);
  });

  it("passes when the quota holds the clusters at their largest (the control)", () => {
    expect(quotaProblems(prod, usage({ standardDDSv5Family: 72, cores: 100 }))).toEqual([]);
  });

  it("names a VM size whose vCPUs it does not know", () => {
    const unknown = JSON.parse(JSON.stringify(prod));
    for (const job of Object.values(unknown.resource.databricks_job as Record<string, { job_cluster: Array<{ new_cluster: Record<string, unknown> }> }>)) {
      job.job_cluster[0].new_cluster.node_type_id = "Standard_Q9zz_v9";
      job.job_cluster[0].new_cluster.driver_node_type_id = "Standard_Q9zz_v9";
    }
    expect(quotaProblems(unknown, usage({ cores: 1000 }))).toEqual([expect.objectContaining({ kind: "quota", value: "Standard_Q9zz_v9" })]);
  });

  it("refuses a usage file that is not az vm list-usage output", () => {
    expect(() => parseVmUsage('{"value": []}', "usage.json")).toThrow("usage.json is not az vm list-usage output");
    expect(() => parseVmUsage("not json", "usage.json")).toThrow("usage.json is not JSON");
  });
});
