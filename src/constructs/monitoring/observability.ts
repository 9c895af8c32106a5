import { Construct, IConstruct } from "constructs";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { checkPlacement, Placement } from "../core/placement";
import { useAzurermProvider } from "../core/providers";
import { checkProviderType } from "../core/provider-setup";
import { checkResourceId } from "../core/resource-id";
import { PropValidator } from "../core/validation";
import { requireTerraformVersion } from "../core/terraform-requirements";

export interface ObservabilityProps extends Placement {
  /** Name of the Log Analytics workspace, such as `log-bank-prod`. */
  readonly workspaceName: string;
  /**
   * Days the workspace keeps logs (Log Analytics allows 30 to 730).
   * @default 90
   */
  readonly retentionInDays?: number;
  /**
   * The azurerm provider of the workspace's subscription, when it is not the stack's default.
   * @default - the stack's default azurerm provider
   */
  readonly provider?: AzurermProvider;
}

/** Attributes of an existing Log Analytics workspace, for {@link Observability.fromExisting}. */
export interface ObservabilityAttributes {
  /** Resource id of the workspace, such as a central one in a management subscription. */
  readonly workspaceId: string;
}

/** Which signals a resource type emits to Azure Monitor diagnostic settings. */
export interface DiagnosticSignals {
  /** Send every log category (`allLogs` category group). */
  readonly logs: boolean;
  /** Send the `AllMetrics` metric category. */
  readonly metrics: boolean;
}

/**
 * Where resources send their logs and metrics: the workspace {@link Observability} creates, or an
 * existing one from {@link Observability.fromExisting}.
 */
export interface IObservability extends IConstruct {
  /** Resource id of the Log Analytics workspace. */
  readonly workspaceId: string;
  /**
   * Sends a resource's logs and/or metrics to the workspace through a diagnostic setting, made in
   * `scope` (so on the provider of the resource's own subscription).
   */
  diagnose(scope: Construct, id: string, targetResourceId: string, signals: DiagnosticSignals): MonitorDiagnosticSetting;
}

abstract class ObservabilityBase extends Construct implements IObservability {
  abstract readonly workspaceId: string;

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

class ImportedObservability extends ObservabilityBase {
  readonly workspaceId: string;

  constructor(scope: Construct, id: string, attributes: ObservabilityAttributes) {
    super(scope, id);
    const v = new PropValidator("Observability.fromExisting", this.node.path);
    v.required("workspaceId", attributes?.workspaceId, "the resource id of an existing Log Analytics workspace");
    checkResourceId(v, "workspaceId", attributes?.workspaceId, "logAnalyticsWorkspace");
    v.report(this);
    this.workspaceId = attributes?.workspaceId;
  }
}

/**
 * A Log Analytics workspace and the diagnostic settings that send every estate resource's logs
 * and metrics to it. Other constructs take an {@link IObservability} as a prop and call
 * {@link diagnose} on each of their resources that supports diagnostic settings.
 */
export class Observability extends ObservabilityBase {
  /**
   * An existing Log Analytics workspace (such as a central one in a management subscription) for
   * the constructs that take an {@link IObservability}. Nothing is created for it.
   */
  static fromExisting(scope: Construct, id: string, attributes: ObservabilityAttributes): IObservability {
    return new ImportedObservability(scope, id, attributes);
  }

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
    checkProviderType(v, this, "provider", props.provider, "azurerm");
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
    useAzurermProvider(this, props.provider);
  }
}

