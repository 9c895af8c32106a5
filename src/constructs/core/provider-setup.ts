/**
 * Provider set-ups Terraform refuses at `init` or `validate` (issue 30): a provider of the wrong
 * type where an azurerm or Databricks one is expected (TypeScript takes any provider class that
 * looks alike, JavaScript anything), two providers of one type with the same alias, and two of
 * one type without an alias.
 */
import { IConstruct } from "constructs";
import { TerraformProvider, TerraformStack } from "cdktf";
import { deferCheck, isUnresolved, PropProblem, PropValidator } from "./validation";

/** The provider types the constructs take, by Terraform's local name. */
export type ProviderType = "azurerm" | "databricks";

const CLASS_NAMES: Readonly<Record<ProviderType, string>> = { azurerm: "an AzurermProvider", databricks: "a DatabricksProvider" };

/** The Terraform type of a provider object (`azurerm`, `databricks`, `random`), or undefined when it is no provider. */
export function providerType(provider: unknown): string | undefined {
  if (!(provider instanceof TerraformProvider)) return undefined;
  const type = provider.terraformResourceType;
  return typeof type === "string" ? type : undefined;
}

/** How messages name a provider: its alias, or its construct id when it has none. */
export function providerName(provider: TerraformProvider): string {
  const alias = (provider as { alias?: unknown }).alias;
  return typeof alias === "string" && alias !== "" && !isUnresolved(alias) ? alias : provider.node.id;
}

/**
 * Checks that a provider prop holds a provider of the type the construct's resources need: an
 * azurerm resource on a Databricks provider (or anything else) fails at `terraform validate`.
 * Also registers the stack-wide provider check ({@link checkProviderSetup}).
 */
export function checkProviderType(v: PropValidator, scope: IConstruct, prop: string, provider: unknown, type: ProviderType): void {
  checkProviderSetup(scope);
  if (provider === undefined || provider === null) return;
  const actual = providerType(provider);
  if (actual === type) return;
  const what = actual === undefined ? `${typeof provider === "object" ? "an object" : `a ${typeof provider}`} that is no TerraformProvider` : `${/^[aeiou]/.test(actual) ? "an" : "a"} ${actual} provider`;
  const shown = provider instanceof TerraformProvider ? providerName(provider) : provider;
  // One provider handed to a composite and its parts is one mistake: the first to see it reports it.
  const key = provider instanceof TerraformProvider ? provider.node.path : String(provider);
  v.once(`provider-type:${key}:${type}`, () => v.fail(prop, shown, `${CLASS_NAMES[type]} (@cdktf/provider-${type}): this is ${what}, and Terraform refuses ${type} resources on it`));
}

const CHECKED = new WeakSet<IConstruct>();

/**
 * Registers, once per stack, the check of the stack's providers as Terraform's `init` reads them
 * (internal/configs/module.go, "Duplicate provider configuration"): one provider configuration
 * per local name and alias, so two providers of one type may not share an alias, nor both go
 * without one. Runs when the stack is validated, so providers created after the constructs count.
 */
export function checkProviderSetup(scope: IConstruct): void {
  const stack = scope.node.scopes.find((candidate) => TerraformStack.isStack(candidate));
  if (!stack || CHECKED.has(stack)) return;
  CHECKED.add(stack);
  deferCheck(stack, () => duplicateProviders(stack));
}

function duplicateProviders(stack: IConstruct): PropProblem[] {
  const problems: PropProblem[] = [];
  const seen = new Map<string, TerraformProvider>();
  for (const provider of stack.node.findAll().filter((node): node is TerraformProvider => node instanceof TerraformProvider)) {
    const type = providerType(provider) ?? "";
    const alias = (provider as { alias?: unknown }).alias;
    if (alias !== undefined && (typeof alias !== "string" || isUnresolved(alias))) continue;
    const key = `${type}|${alias ?? ""}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, provider);
      continue;
    }
    const v = new PropValidator(provider.constructor.name, provider.node.path);
    v.fail(
      "alias",
      alias ?? "(none)",
      alias === undefined
        ? `an alias: ${first.node.path} is the ${type} provider without one already, and Terraform allows one default configuration per provider (Duplicate provider configuration at init)`
        : `an alias no other ${type} provider of this stack has: ${first.node.path} has it too (Duplicate provider configuration at init)`,
    );
    problems.push(...v.takeProblems());
  }
  return problems;
}
