import { IConstruct } from "constructs";
import { Aspects, TerraformElement, TerraformProvider, TerraformStack } from "cdktf";

/**
 * The provider of a type in the stack `scope` is in: an existing one at the stack root, or one
 * created there under `id` the first time a construct needs it (for utility providers such as
 * hashicorp/time and hashicorp/random that need no configuration).
 */
export function ensureProvider<T extends TerraformProvider>(scope: IConstruct, providerClass: (new (scope: TerraformStack, id: string) => T) & { readonly tfResourceType: string }, id: string): TerraformProvider {
  const stack = TerraformStack.of(scope);
  // Any provider of the type at the stack root, whichever package's class made it.
  const existing = stack.node.children.find((child): child is TerraformProvider => child instanceof TerraformProvider && child.terraformResourceType === providerClass.tfResourceType);
  if (existing) return existing;
  return new providerClass(stack, stack.node.tryFindChild(id) ? `${id}-provider` : id);
}

/**
 * Puts every azurerm resource, data source and ephemeral resource below `scope` that names no provider of its own on
 * `provider` (such as a spoke subscription's aliased provider), when the stack synthesizes, so
 * resources a construct adds later (keys, grants, diagnostic settings) follow too. Resources made
 * with an explicit provider, such as a hub's zone links or peerings, keep theirs.
 */
export function useAzurermProvider(scope: IConstruct, provider: TerraformProvider | undefined): void {
  // A provider of another type is refused by the construct's checks (provider-setup.ts).
  if (provider === undefined || !(provider instanceof TerraformProvider) || provider.terraformResourceType !== "azurerm") return;
  Aspects.of(scope).add({
    visit(node: IConstruct) {
      if (takesProvider(node) && node.terraformResourceType.startsWith("azurerm_") && node.provider === undefined) {
        node.provider = provider;
      }
    },
  });
}

/** A resource, data source or ephemeral resource: an element of a provider's type with a settable provider. */
function takesProvider(node: IConstruct): node is TerraformElement & { terraformResourceType: string; provider?: TerraformProvider } {
  return node instanceof TerraformElement && !(node instanceof TerraformProvider) && typeof (node as { terraformResourceType?: unknown }).terraformResourceType === "string" && "provider" in node;
}
