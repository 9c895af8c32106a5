import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { DatabricksAccessConnector } from "@cdktf/provider-azurerm/lib/databricks-access-connector";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Credential } from "@cdktf/provider-databricks/lib/credential";
import { Grants, GrantsGrant } from "@cdktf/provider-databricks/lib/grants";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { Placement } from "../core/placement";
import { AzurePrincipal, IDatabricksPrincipal } from "../core/principal";
import { checkName, isUnresolved, PropValidator } from "../core/validation";
import { folderFilesWriteCondition, ILakeStorage } from "../storage/lake-storage";
import { LAKE_CONTAINERS, LakeContainerName } from "../storage/lake-layout";
import { LAKE_PATH_PREFIX } from "./lakehouse-catalog";

/** What the drift check's identity needs to read a service credential and its grants. */
export const DRIFT_CHECKER_CREDENTIAL_PRIVILEGES = ["MANAGE"] as const;

export interface PublicationCredentialProps extends Placement {
  /**
   * The azurerm provider of the subscription the access connector goes to.
   * @default - the stack's default azurerm provider
   */
  readonly azurermProvider?: AzurermProvider;
  /** Workspace-level Databricks provider of the workspace whose jobs use the credential. */
  readonly provider: DatabricksProvider;
  /** Lake holding the folder. */
  readonly lake: ILakeStorage;
  /** Container, by data area, holding the folder. */
  readonly container: LakeContainerName;
  /** Folder of the container whose own files (not its subfolders') the credential's identity may write, such as `payments/export/_manifests`. */
  readonly folder: string;
  /** Name of the Unity Catalog service credential, unique in the metastore: 1-255 letters, digits, `_` and `-`. */
  readonly name: string;
  /** Name of the access connector whose managed identity the credential is: 2-64 letters, digits, `_`, `.` and `-`. */
  readonly accessConnectorName: string;
  /** Who may use the credential (ACCESS): the job's service principal. */
  readonly users: readonly IDatabricksPrincipal[];
  /**
   * The drift check's identity, given MANAGE, which reading the credential and its grants needs.
   * @default - none
   */
  readonly driftChecker?: IDatabricksPrincipal;
  /**
   * What creating the credential waits for: the workspace's metastore assignment, the deployer's
   * CREATE_SERVICE_CREDENTIAL, the principals' assignments to the workspace.
   * @default - nothing
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

const FOLDER_RULE = "a folder of the container, not its root: letters, digits, '.', '_' and '-' in '/'-separated segments, without a leading '/' or '.' and '..' segments";
const CREDENTIAL_NAME = { pattern: /^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/, rule: "1-255 letters, digits, '_' and '-'", chars: /[A-Za-z0-9_-]/, minLength: 1, maxLength: 255 };
const CONNECTOR_NAME = { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_]$/, rule: "2-64 letters, digits, underscores, periods and hyphens", chars: /[a-zA-Z0-9_.-]/, minLength: 2, maxLength: 64 };

/**
 * A Unity Catalog service credential whose identity may write the files directly in one folder of
 * one lake container: an access connector of its own, Storage Blob Data Contributor on the container
 * with an Azure ABAC condition that leaves it only the writes of those files (no read, delete or
 * rename of any blob: `folderFilesWriteCondition`), the credential (usable from this workspace only)
 * and ACCESS for its users. The built-in role also carries the container's management actions
 * (create, delete), which no condition narrows, as every container role of the lake does; the
 * lake's container soft delete keeps a deleted container recoverable.
 *
 * A job uses it for what dbutils.fs cannot do: replace a file whole in one request (Put Blob),
 * so that a reader finds the old content or the new and never an empty file, as the quarter
 * manifest's contract asks (spark/bank_etl/blob.py). Code on the cluster takes the identity's
 * token with `dbutils.credentials.getServiceCredentialsProvider(name)` (Databricks Runtime 16.2
 * and later).
 */
export class PublicationCredential extends Construct {
  readonly accessConnector: DatabricksAccessConnector;
  /** The identity's role on the folder. */
  readonly folderRole: RoleAssignment;
  readonly credential: Credential;
  /** Name of the credential, as jobs ask for it. */
  readonly credentialName: string;
  readonly grants: Grants;

  constructor(scope: Construct, id: string, props: PublicationCredentialProps) {
    super(scope, id);
    const v = new PropValidator("PublicationCredential", this.node.path);
    v.required("name", props.name, CREDENTIAL_NAME.rule);
    checkName(v, "name", props.name, CREDENTIAL_NAME);
    v.required("accessConnectorName", props.accessConnectorName, CONNECTOR_NAME.rule);
    checkName(v, "accessConnectorName", props.accessConnectorName, CONNECTOR_NAME);
    v.required("lake", props.lake, "the ILakeStorage holding the folder");
    v.check("container", props.container, (container) => (LAKE_CONTAINERS as readonly string[]).includes(container), `one of the lake's data areas: ${LAKE_CONTAINERS.join(", ")}`);
    v.check("folder", props.folder, (folder) => typeof folder === "string" && (isUnresolved(folder) || LAKE_PATH_PREFIX.test(folder)), FOLDER_RULE);
    v.check("users", props.users, (users) => Array.isArray(users) && users.length > 0, "at least one principal that uses the credential");
    v.report(this);

    this.accessConnector = new DatabricksAccessConnector(this, "access-connector", {
      provider: props.azurermProvider,
      name: props.accessConnectorName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
      identity: { type: "SystemAssigned" },
    });
    const identity = AzurePrincipal.servicePrincipal(this.accessConnector.identity.principalId);
    // Contributor is the narrowest built-in role that writes blobs; the condition leaves it the
    // writes of the folder's own files (the quarter manifests), not the run copies in its subfolders.
    this.folderRole = props.lake.grantContainer(this, "folder-writer", identity, "Storage Blob Data Contributor", props.container);
    this.folderRole.condition = folderFilesWriteCondition(props.folder);
    this.folderRole.conditionVersion = "2.0";
    this.credential = new Credential(this, "credential", {
      provider: props.provider,
      name: props.name,
      purpose: "SERVICE",
      comment: `Writes ${props.folder} of the lake's ${props.container} container, nothing else.`,
      azureManagedIdentity: { accessConnectorId: this.accessConnector.id },
      // Usable from this workspace only, although the metastore serves every environment.
      isolationMode: "ISOLATION_MODE_ISOLATED",
      // Nothing to validate before the role has propagated; the job's first publication proves it.
      skipValidation: true,
      dependsOn: [...(props.dependsOn ?? [])],
    });
    this.credentialName = this.credential.name;
    const grant: GrantsGrant[] = props.users.map((user) => ({ principal: user.name, privileges: ["ACCESS"] }));
    if (props.driftChecker) grant.push({ principal: props.driftChecker.name, privileges: [...DRIFT_CHECKER_CREDENTIAL_PRIVILEGES] });
    this.grants = new Grants(this, "grants", { provider: props.provider, credential: this.credential.id, grant, dependsOn: [...(props.dependsOn ?? [])] });
  }
}
