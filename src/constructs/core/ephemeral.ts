import { Construct, IConstruct } from "constructs";
import { dependable, ITerraformDependable, ref, TerraformElement, TerraformProvider, TerraformResource, Token } from "cdktf";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { ensureProvider } from "./providers";

/**
 * The context key that makes the library synthesize a stack for a speculative plan (a pull
 * request's, which is never applied): write-only values that would be read back from a vault are
 * taken from a throwaway ephemeral password instead, so the identity that plans needs no right on
 * the vault's secrets, and the resources that take them refuse to apply. Set it with
 * `CDKTF_CONTEXT_JSON='{"azure-quarterly-batch:planWithoutSecrets":true}'` for `cdktf synth`.
 */
export const PLAN_WITHOUT_SECRETS_CONTEXT = "azure-quarterly-batch:planWithoutSecrets";

/** True when the app synthesizes for a speculative plan (see {@link PLAN_WITHOUT_SECRETS_CONTEXT}). */
export function plansWithoutSecrets(scope: IConstruct): boolean {
  const value: unknown = scope.node.tryGetContext(PLAN_WITHOUT_SECRETS_CONTEXT);
  return value === true || value === "true";
}

/** What an ephemeral block takes besides its arguments. */
export interface EphemeralResourceOptions {
  /** The provider instance, when it is not the type's default one. */
  readonly provider?: TerraformProvider;
  /** What Terraform opens it after, at apply time. */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A Terraform ephemeral resource (Terraform 1.10 and later), which cdktf 0.21 has no class for.
 * Terraform opens it whenever a plan or an apply needs its value and never writes that value to
 * the plan or the state, so it can only feed write-only arguments (`value_wo`,
 * `administrator_password_wo`) and other ephemeral blocks. Terraform defers opening it to the
 * apply while any argument is unknown (internal/terraform/node_resource_ephemeral.go,
 * ephemeralResourceOpen).
 */
export class EphemeralResource extends TerraformElement {
  /** The provider instance; an aspect may set it, as for resources. */
  provider?: TerraformProvider;

  constructor(
    scope: Construct,
    id: string,
    readonly terraformResourceType: string,
    private readonly args: Readonly<Record<string, unknown>>,
    private readonly options: EphemeralResourceOptions = {},
  ) {
    super(scope, id);
    this.provider = options.provider;
  }

  /** An attribute of the opened resource, as a string token (`${ephemeral.<type>.<name>.<attribute>}`). */
  attribute(name: string): string {
    return Token.asString(ref(`ephemeral.${this.terraformResourceType}.${this.friendlyUniqueId}.${name}`, this.cdktfStack));
  }

  toTerraform(): Record<string, unknown> {
    const dependsOn = (this.options.dependsOn ?? []).map((item) => dependable(item));
    return {
      ephemeral: {
        [this.terraformResourceType]: {
          [this.friendlyUniqueId]: {
            "//": this.constructNodeMetadata,
            ...this.args,
            ...(this.provider ? { provider: this.provider.fqn } : {}),
            ...(dependsOn.length > 0 ? { depends_on: dependsOn } : {}),
          },
        },
      },
    };
  }
}

/**
 * A generated password that exists only while Terraform runs (hashicorp/random's ephemeral
 * `random_password`, random 3.7 and later): 40 characters, safe in URIs and shells. Its value goes
 * to write-only arguments only, so no state, plan or synthesized file ever holds it.
 */
export class EphemeralPassword extends EphemeralResource {
  constructor(scope: Construct, id: string) {
    ensureProvider(scope, RandomProvider, "random");
    super(scope, id, "random_password", {
      length: 40,
      special: true,
      override_special: "-_.~",
      min_lower: 2,
      min_upper: 2,
      min_numeric: 2,
      min_special: 2,
    });
  }

  /** The password, for write-only arguments only. */
  get result(): string {
    return this.attribute("result");
  }
}

/**
 * Terraform's built-in `terraform_data`: a value kept in state (never a secret) whose `output`
 * is unknown in a plan that creates or replaces it. Used to make an ephemeral read wait for the
 * apply in exactly the plans that write what it reads.
 */
export class TerraformData extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly input: unknown,
    private readonly triggersReplace: unknown,
  ) {
    super(scope, id, { terraformResourceType: "terraform_data" });
  }

  /** The input, as known after this resource is created or replaced. */
  get output(): string {
    return this.getStringAttribute("output");
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { input: this.input, triggers_replace: this.triggersReplace };
  }
}
