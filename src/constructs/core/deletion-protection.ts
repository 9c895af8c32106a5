import { Construct } from "constructs";
import { TerraformResource } from "cdktf";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";

/**
 * Guards a stateful resource twice: `prevent_destroy` stops Terraform from planning its
 * deletion, and a CanNotDelete lock stops everyone else (portal, CLI, a stray script).
 */
export function protectFromDeletion(scope: Construct, resource: TerraformResource & { readonly id: string }, what: string): ManagementLock {
  resource.lifecycle = { ...resource.lifecycle, preventDestroy: true };
  return new ManagementLock(scope, "delete-lock", {
    name: `lock-no-delete`,
    scope: resource.id,
    lockLevel: "CanNotDelete",
    notes: `Holds the ${what}; remove this lock deliberately before deleting it.`,
  });
}
