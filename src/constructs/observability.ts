import { Construct } from "constructs";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { checkPlacement, Placement } from "./placement";
import { PropValidator } from "./validation";
import { requireTerraformVersion } from "./terraform-requirements";

export interface ObservabilityProps extends Placement {
  /** Name of the Log Analytics workspace, such as `log-bank-prod`. */
  readonly workspaceName: string;
  /**
   * Days the workspace keeps logs (Log Analytics allows 30 to 730).
   * @default 90
   */
  readonly retentionInDays?: number;
}

/** Which signals a resource type emits to Azure Monitor diagnostic settings. */
export interface DiagnosticSignals {
  /** Send every log category (`allLogs` category group). */
  readonly logs: boolean;
  /** Send the `AllMetrics` metric category. */
  readonly metrics: boolean;
}

/**
 * A Log Analytics workspace and the diagnostic settings that send every estate resource's logs
 * and metrics to it. Other constructs take it as a prop and call {@link diagnose} on each of
 * their resources that supports diagnostic settings.
 */
export class Observability extends Construct {
  /** The Log Analytics workspace. */
  readonly workspace: LogAnalyticsWorkspace;
  /** Resource id of the workspace, for diagnostic settings elsewhere. */
  readonly workspaceId: string;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    // The library is tested with, and its write-only arguments need, Terraform 1.11 or later.
    requireTerraformVersion(this);
    props = props ?? ({} as ObservabilityProps);
    const v = new PropValidator("Observability", this.node.path);
    checkPlacement(v, props);
    v.required("workspaceName", props.workspaceName, "4-63 characters, letters, digits and hyphens");
    v.matches("workspaceName", props.workspaceName, /^[a-zA-Z0-9][a-zA-Z0-9-]{2,61}[a-zA-Z0-9]$/, "4-63 characters, letters, digits and hyphens, not starting or ending with a hyphen");
    v.range("retentionInDays", props.retentionInDays, 30, 730);
    v.report(this);

    this.workspace = new LogAnalyticsWorkspace(this, "workspace", {
      name: props.workspaceName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      sku: "PerGB2018",
      retentionInDays: props.retentionInDays ?? 90,
      // Only Entra ID callers may ingest or query; no shared workspace keys.
      localAuthenticationEnabled: false,
      tags: props.tags,
    });
    this.workspaceId = this.workspace.id;
    this.diagnose(this, "workspace-diagnostics", this.workspaceId, { logs: true, metrics: true });
  }

  /** Sends a resource's logs and/or metrics to the workspace through a diagnostic setting. */
  diagnose(scope: Construct, id: string, targetResourceId: string, signals: DiagnosticSignals): MonitorDiagnosticSetting {
    return new MonitorDiagnosticSetting(scope, id, {
      name: "to-log-analytics",
      targetResourceId,
      logAnalyticsWorkspaceId: this.workspaceId,
      enabledLog: signals.logs ? [{ categoryGroup: "allLogs" }] : undefined,
      enabledMetric: signals.metrics ? [{ category: "AllMetrics" }] : undefined,
    });
  }
}

