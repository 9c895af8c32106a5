import { IConstruct } from "constructs";
import { TerraformProvider, TerraformStack } from "cdktf";

/**
 * The provider of a class in the stack `scope` is in: an existing one at the stack root, or one
 * created there under `id` the first time a construct needs it (for utility providers such as
 * hashicorp/time and hashicorp/random that need no configuration).
 */
export function ensureProvider<T extends TerraformProvider>(scope: IConstruct, providerClass: new (scope: TerraformStack, id: string) => T, id: string): T {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.children.find((child): child is T => child instanceof providerClass);
  if (existing) return existing;
  return new providerClass(stack, stack.node.tryFindChild(id) ? `${id}-provider` : id);
}
