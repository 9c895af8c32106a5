import { Observability } from "../../src/constructs/monitoring/observability";
import { bareStack, resourceAt, resourcesOf, synthStack } from "../helpers/synth";
import { EXISTING_ZONES, network, problemsOf } from "./fixtures";

const CENTRAL = "/subscriptions/72c96710-1b31-426c-97d1-6a79982b12a0/resourceGroups/rg-management/providers/Microsoft.OperationalInsights/workspaces/log-central";

describe("Observability.fromExisting", () => {
  it("creates no workspace and sends the constructs' diagnostic settings to the existing one", () => {
    const { stack } = bareStack();
    const logs = Observability.fromExisting(stack, "central-logs", { workspaceId: CENTRAL });
    network(stack, { observability: logs, privateDnsZoneIds: EXISTING_ZONES });
    const synthesized = synthStack(stack);
    expect(resourcesOf(synthesized, "azurerm_log_analytics_workspace")).toEqual([]);
    const settings = resourcesOf(synthesized, "azurerm_monitor_diagnostic_setting");
    expect(settings.length).toBeGreaterThan(0);
    for (const [, setting] of settings) expect(setting.log_analytics_workspace_id).toBe(CENTRAL);
    expect(resourceAt(synthesized, "azurerm_monitor_diagnostic_setting", "network/vnet-diagnostics")).toMatchObject({ name: "to-log-analytics" });
  });

  it("refuses an id that is not a Log Analytics workspace's", () => {
    const { stack } = bareStack();
    Observability.fromExisting(stack, "central-logs", { workspaceId: EXISTING_ZONES.vault });
    expect(problemsOf(stack)).toEqual([{ construct: "Observability.fromExisting", prop: "workspaceId" }]);
  });
});
