import { IConstruct } from "constructs";
import { TerraformProvider, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { deferCheck, isUnresolved, PropValidator } from "./validation";
import { checkProviderSetup } from "./provider-setup";

/**
 * The oldest Terraform the synthesized stacks work with: write-only arguments (`value_wo`,
 * `administrator_password_wo`) exist from Terraform 1.11 on; an older CLI refuses them at plan.
 */
export const MINIMUM_TERRAFORM_VERSION = "1.11.0";
export const REQUIRED_TERRAFORM_VERSION = `>= ${MINIMUM_TERRAFORM_VERSION}`;

const VERSION_SET = new WeakSet<TerraformStack>();

/**
 * Sets `terraform.required_version` on the stack `scope` is in, once, so that an older CLI stops
 * at `init` with a clear message instead of failing on the first write-only argument at plan.
 */
export function requireTerraformVersion(scope: IConstruct): void {
  const stack = TerraformStack.of(scope);
  if (VERSION_SET.has(stack)) return;
  VERSION_SET.add(stack);
  // Terraform's init refuses a stack whose providers clash (see provider-setup.ts).
  checkProviderSetup(stack);
  stack.addOverride("terraform.required_version", REQUIRED_TERRAFORM_VERSION);
}

/** The `features.storage.dataPlaneAvailable` a provider was configured with (undefined when unset or a token). */
export function storageDataPlaneAvailable(provider: AzurermProvider): boolean | undefined {
  const features = provider.features;
  if (!Array.isArray(features)) return undefined;
  for (const feature of features) {
    const storage = (feature as { storage?: unknown }).storage;
    for (const block of Array.isArray(storage) ? storage : storage !== undefined ? [storage] : []) {
      const value = (block as { dataPlaneAvailable?: unknown }).dataPlaneAvailable;
      if (typeof value === "boolean") return value;
    }
  }
  return undefined;
}

/** The azurerm provider a resource without an explicit provider uses: the stack's one without an alias. */
export function defaultAzurermProvider(scope: IConstruct): AzurermProvider | undefined {
  const stack = TerraformStack.of(scope);
  return stack.node.findAll().find((c): c is AzurermProvider => c instanceof AzurermProvider && (c.alias === undefined || isUnresolved(c.alias)));
}

/**
 * Refuses, at synth, a private storage account created through an azurerm provider that still
 * calls the account's data plane. azurerm 4.x waits for the blob/queue/file endpoints when it
 * creates an account and reads queue properties and static website settings on every refresh
 * (internal/services/storage/storage_account_resource.go; provider issue #33454, PR #27818): with
 * public network access off and only blob and dfs endpoints, those calls fail with 403
 * AuthorizationFailure, so the first apply and every later plan stop at the account. With
 * `features.storage.dataPlaneAvailable = false` the provider manages the account through ARM only.
 * Checked when the stack synthesizes, so a provider created after the construct is seen.
 */
export function requireArmOnlyStorage(scope: IConstruct, constructName: string, provider?: TerraformProvider): void {
  deferCheck(scope, () => {
    const v = new PropValidator(constructName, scope.node.path);
    // A provider of another type is refused as such (provider-setup.ts); its features are beside the point.
    if (provider !== undefined && !(provider instanceof AzurermProvider)) return [];
    const used = provider ?? defaultAzurermProvider(scope);
    const configured = used instanceof AzurermProvider ? storageDataPlaneAvailable(used) : undefined;
    if (used === undefined || configured !== false) {
      v.fail(
        provider ? "provider" : "(the stack's azurerm provider)",
        used ? `${used.node.id}: features.storage.dataPlaneAvailable ${configured === undefined ? "unset" : String(configured)}` : "(none)",
        "an AzurermProvider with features: [{ storage: [{ dataPlaneAvailable: false }] }]: the account is private, and azurerm otherwise calls its queue and file data plane on create and refresh, which fails with 403 (see docs/estate/deploying.md)",
      );
    }
    return v.takeProblems();
  });
}

/**
 * The subscription a resource lands in when it uses `provider` (or, without one, the stack's
 * default azurerm provider): the provider's literal `subscription_id`, or undefined when it is
 * unset (ARM_SUBSCRIPTION_ID at deploy time), a token, or not an azurerm provider.
 */
export function providerSubscription(scope: IConstruct, provider?: TerraformProvider): string | undefined {
  const used = provider ?? defaultAzurermProvider(scope);
  if (!(used instanceof AzurermProvider)) return undefined;
  const id = used.subscriptionId;
  return typeof id === "string" && id !== "" && !isUnresolved(id) ? id.toLowerCase() : undefined;
}
