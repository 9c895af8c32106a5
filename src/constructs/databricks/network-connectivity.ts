import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { MwsNccBinding } from "@cdktf/provider-databricks/lib/mws-ncc-binding";
import { MwsNccPrivateEndpointRule } from "@cdktf/provider-databricks/lib/mws-ncc-private-endpoint-rule";
import { MwsNetworkConnectivityConfig } from "@cdktf/provider-databricks/lib/mws-network-connectivity-config";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { isAzureRegion, normalizeLocation } from "../core/azure-regions";
import { AZURE_ACCOUNTS_HOST } from "./databricks-checks";
import { claimName, useDatabricksProvider } from "../core/consistency";
import { checkLocation } from "../core/placement";
import { IDatabricksWorkspace } from "./databricks-workspace";
import { ILakeStorage } from "../storage/lake-storage";
import { checkName, isUnresolved, PropValidator } from "../core/validation";
import { checkProviderType } from "../core/provider-setup";

/** A resource the workspace's serverless and Unity Catalog traffic reaches over a private endpoint. */
export interface PrivateEndpointTarget {
  /** Resource id of the target, such as a storage account's id. */
  readonly resourceId: string;
  /** Sub-resources (group ids) to reach, such as `dfs` and `blob`; one rule each. */
  readonly groupIds: string[];
}

/** Sub-resources of a storage account that Unity Catalog uses: `dfs` (ADLS Gen2) and `blob`. */
export const LAKE_ENDPOINT_GROUP_IDS = ["dfs", "blob"] as const;

/** The private-endpoint targets that let Unity Catalog reach a lake: its `dfs` and `blob` sub-resources. */
export function lakeEndpointTargets(lake: ILakeStorage): Record<string, PrivateEndpointTarget> {
  return { lake: { resourceId: lake.accountId, groupIds: [...LAKE_ENDPOINT_GROUP_IDS] } };
}

export interface NetworkConnectivityProps {
  /**
   * Account-level Databricks provider: host `https://accounts.azuredatabricks.net`, the account
   * id, and an alias (such as `account`) so it is never the workspace's provider.
   */
  readonly accountProvider: DatabricksProvider;
  /** Workspace the network connectivity configuration is bound to. */
  readonly workspace: IDatabricksWorkspace;
  /** Name of the configuration: 3-30 letters, digits, hyphens and underscores. */
  readonly name: string;
  /**
   * Region of the configuration; it must be the workspace's.
   * @default - the workspace's location
   */
  readonly region?: string;
  /**
   * Private endpoints Databricks creates from its serverless and control-plane network into yours,
   * by construct id part. Each connection is pending until the target's owner approves it (the
   * deploy pipeline does so after apply, `approve-lake-endpoints`).
   * @default - none
   */
  readonly privateEndpointTargets?: Record<string, PrivateEndpointTarget>;
}

const NCC_NAME = { pattern: /^[A-Za-z0-9_-]{3,30}$/, rule: "3-30 letters, digits, hyphens and underscores", chars: /[A-Za-z0-9_-]/, minLength: 3, maxLength: 30 };

/**
 * A network connectivity configuration (NCC) of the Databricks account in the workspace's region,
 * bound to the workspace, with private-endpoint rules to resources that deny public access (the
 * lake's `dfs` and `blob`). Unity Catalog validation and serverless compute reach them through
 * these endpoints; the classic job cluster reaches them through the VNet's own endpoints.
 */
export class NetworkConnectivity extends Construct {
  readonly config: MwsNetworkConnectivityConfig;
  /** Id of the configuration. */
  readonly networkConnectivityConfigId: string;
  readonly binding: MwsNccBinding;
  /** Private-endpoint rules, by `<target>-<group id>`, such as `lake-dfs`. */
  readonly privateEndpointRules: Readonly<Record<string, MwsNccPrivateEndpointRule>>;
  /** What objects that reach the targets wait for: the binding and every rule. */
  readonly ready: ITerraformDependable[];
  private readonly rules: Record<string, MwsNccPrivateEndpointRule> = {};
  private readonly accountProvider: DatabricksProvider;

  constructor(scope: Construct, id: string, props: NetworkConnectivityProps) {
    super(scope, id);
    const v = new PropValidator("NetworkConnectivity", this.node.path);
    // Its host, account id and role (never a workspace's provider) are checked by the stack-wide pass.
    v.required("accountProvider", props.accountProvider, `an account-level DatabricksProvider (host ${AZURE_ACCOUNTS_HOST}, accountId, an alias)`);
    checkProviderType(v, this, "accountProvider", props.accountProvider, "databricks");
    v.required("workspace", props.workspace, "the IDatabricksWorkspace to bind the configuration to");
    v.required("name", props.name, NCC_NAME.rule);
    checkName(v, "name", props.name, NCC_NAME);
    checkLocation(v, "region", props.region);
    const workspaceRegion = props.workspace?.location;
    if (
      typeof props.region === "string" && !isUnresolved(props.region) && isAzureRegion(props.region) &&
      typeof workspaceRegion === "string" && !isUnresolved(workspaceRegion) && isAzureRegion(workspaceRegion) &&
      normalizeLocation(props.region) !== normalizeLocation(workspaceRegion)
    ) {
      v.fail("region", props.region, `the workspace's region, ${normalizeLocation(workspaceRegion)}, or unset: an NCC serves workspaces of its own region only`);
    }
    for (const [target, endpoint] of Object.entries(props.privateEndpointTargets ?? {})) {
      v.required(`privateEndpointTargets.${target}.resourceId`, endpoint?.resourceId, "the target resource's id");
      v.check(`privateEndpointTargets.${target}.groupIds`, endpoint?.groupIds, (ids) => Array.isArray(ids) && ids.length > 0, "at least one sub-resource, such as dfs or blob");
    }
    v.report(this);
    useDatabricksProvider(this, { provider: props.accountProvider, role: "account", construct: "NetworkConnectivity", prop: "accountProvider" });
    claimName(this, { kind: "networkConnectivity", name: props.name, construct: "NetworkConnectivity", prop: "name", value: props.name });

    const region = props.region ?? props.workspace?.location ?? "";
    this.config = new MwsNetworkConnectivityConfig(this, "config", {
      provider: props.accountProvider,
      name: props.name,
      region: Token.isUnresolved(region) ? region : normalizeLocation(region),
    });
    this.networkConnectivityConfigId = this.config.networkConnectivityConfigId;
    this.binding = new MwsNccBinding(this, "binding", {
      provider: props.accountProvider,
      networkConnectivityConfigId: this.networkConnectivityConfigId,
      workspaceId: Token.asNumber(props.workspace?.workspaceId),
    });
    this.accountProvider = props.accountProvider;
    this.privateEndpointRules = this.rules;
    this.ready = [this.binding];
    this.addPrivateEndpointTargets("", props.privateEndpointTargets ?? {});
  }

  /**
   * Adds private-endpoint rules, such as to the lake of a second pipeline that joins the
   * workspace; objects that reach them wait for them too (they join {@link ready}). `prefix`
   * keeps the rules' ids apart from the first ones'.
   */
  addPrivateEndpointTargets(prefix: string, targets: Record<string, PrivateEndpointTarget>): void {
    for (const [target, endpoint] of Object.entries(targets)) {
      const name = prefix === "" ? target : `${prefix}-${target}`;
      for (const groupId of endpoint?.groupIds ?? []) {
        const rule = new MwsNccPrivateEndpointRule(this, `rule-${name}-${groupId}`, {
          provider: this.accountProvider,
          networkConnectivityConfigId: this.networkConnectivityConfigId,
          resourceId: endpoint.resourceId,
          groupId,
        });
        this.rules[`${name}-${groupId}`] = rule;
        this.ready.push(rule);
      }
    }
  }
}
