import { Construct } from "constructs";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { isUnresolved, PropValidator } from "./validation";

/** Kinds of Entra ID principal a role assignment can name. */
export const AZURE_PRINCIPAL_TYPES = ["ServicePrincipal", "Group", "User"] as const;
export type AzurePrincipalType = (typeof AZURE_PRINCIPAL_TYPES)[number];

/** An Entra ID principal that Azure role assignments (vault, lake) are granted to. */
export interface IAzurePrincipal {
  /** Object id of the principal in the tenant (not an application id). */
  readonly objectId: string;
  /**
   * What the principal is; set it so Azure skips a directory look-up that can fail for a
   * principal created moments earlier.
   * @default - Azure looks it up
   */
  readonly principalType?: AzurePrincipalType;
}

/** Ways to name an Entra ID principal for {@link IAzurePrincipal}-taking grants. */
export class AzurePrincipal implements IAzurePrincipal {
  /** A principal by object id, of a type Azure looks up. */
  static fromObjectId(objectId: string, principalType?: AzurePrincipalType): IAzurePrincipal {
    return new AzurePrincipal(objectId, principalType);
  }

  /** A service principal or managed identity by object id. */
  static servicePrincipal(objectId: string): IAzurePrincipal {
    return new AzurePrincipal(objectId, "ServicePrincipal");
  }

  /** A group by object id. */
  static group(objectId: string): IAzurePrincipal {
    return new AzurePrincipal(objectId, "Group");
  }

  private constructor(
    readonly objectId: string,
    readonly principalType?: AzurePrincipalType,
  ) {}
}

/** Kinds of Databricks principal a workspace permission or Unity Catalog grant can name. */
export type DatabricksPrincipalKind = "servicePrincipal" | "group" | "user";

/** A principal of the Databricks account, as workspace permissions and Unity Catalog grants name it. */
export interface IDatabricksPrincipal {
  readonly kind: DatabricksPrincipalKind;
  /** Application id of a service principal, display name of a group, or e-mail address of a user. */
  readonly name: string;
}

/** Ways to name a Databricks account principal. */
export class DatabricksPrincipal implements IDatabricksPrincipal {
  /** A service principal of the account, by its application (client) id. */
  static servicePrincipal(applicationId: string): IDatabricksPrincipal {
    return new DatabricksPrincipal("servicePrincipal", applicationId);
  }

  /** An account group, by display name. */
  static group(name: string): IDatabricksPrincipal {
    return new DatabricksPrincipal("group", name);
  }

  /** An account user, by e-mail address. */
  static user(email: string): IDatabricksPrincipal {
    return new DatabricksPrincipal("user", email);
  }

  private constructor(
    readonly kind: DatabricksPrincipalKind,
    readonly name: string,
  ) {}
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_GUID = "00000000-0000-0000-0000-000000000000";

/** True for a GUID in the canonical 8-4-4-4-12 form. */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/**
 * Refuses ids that can never name a real object: anything but a GUID (such as
 * `<principal-object-id>`) and the nil GUID. GUIDs that merely look made up are left to
 * `npm run preflight`, so that the shipped configurations still synthesize.
 */
export function checkObjectId(v: PropValidator, prop: string, id: string | undefined, what: string): void {
  if (id === undefined || isUnresolved(id)) return;
  if (!isGuid(id)) v.fail(prop, id, `${what}: a GUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301, not a placeholder`);
  else if (id === NIL_GUID) v.fail(prop, id, `${what}: a real object's GUID, not the all-zero GUID`);
}

/**
 * A data-plane role on `targetScope` for a principal, created in the caller's `scope`: the shared
 * body of the vault's and the lake's `grant`, which validates the role and the principal first.
 */
export function grantRole<Role extends string>(
  scope: Construct,
  id: string,
  grant: { readonly construct: string; readonly targetScope: string; readonly principal: IAzurePrincipal; readonly role: Role; readonly roles: readonly Role[] },
): RoleAssignment {
  const v = new PropValidator(grant.construct, `${scope?.node.path}/${id}`);
  v.oneOf("role", grant.role, grant.roles);
  v.required("principal", grant.principal, "an IAzurePrincipal, such as AzurePrincipal.servicePrincipal(objectId)");
  v.required("principal.objectId", grant.principal?.objectId, "the principal's object id (a GUID)");
  checkObjectId(v, "principal.objectId", grant.principal?.objectId, "the principal's object id");
  v.report(scope);
  return new RoleAssignment(scope, id, {
    scope: grant.targetScope,
    principalId: grant.principal?.objectId,
    principalType: grant.principal?.principalType,
    roleDefinitionName: grant.role,
  });
}
