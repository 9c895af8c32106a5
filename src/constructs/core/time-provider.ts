import { Construct, IConstruct } from "constructs";
import { ITerraformDependable, stringToTerraform, hashMapper, TerraformProvider, TerraformResource, TerraformResourceLifecycle } from "cdktf";
import { ensureProvider } from "./providers";

/**
 * How long a data-plane write waits after the role assignment it needs. Azure documents that a
 * new role assignment can take several minutes to take effect (up to 10 minutes in the worst
 * case, usually well under two); two minutes avoids the common 403 on the first apply without
 * slowing every apply much. Later applies do not wait again: the sleep only runs when created.
 */
export const RBAC_PROPAGATION_WAIT = "120s";

const TIME_PROVIDER_ID = "time";
/**
 * The hashicorp/time provider version the library pins, and the constraint it declares: the ones
 * @cdktf/provider-time 11.0.1 wraps, so the synthesized configuration is the same as with it.
 * CDK Terrain has no provider-time package; this binding serves both frameworks.
 */
const TIME_PROVIDER = { providerName: "time", providerVersion: "0.13.1", providerVersionConstraint: "~> 0.7" } as const;

/** The hashicorp/time provider: it needs no configuration (the library's own binding of it). */
export class TimeProvider extends TerraformProvider {
  static readonly tfResourceType = "time";

  constructor(scope: Construct, id: string, config: { readonly alias?: string } = {}) {
    super(scope, id, { terraformResourceType: "time", terraformGeneratorMetadata: { ...TIME_PROVIDER }, terraformProviderSource: "hashicorp/time" });
    this.alias = config.alias;
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { alias: stringToTerraform(this.alias) };
  }
}

/** Arguments of a `time_sleep` (hashicorp/time 0.13.1, internal/provider/resource_time_sleep.go). */
export interface TimeSleepConfig {
  /** How long the create waits, such as `120s`. */
  readonly createDuration?: string;
  /** Values whose change replaces the sleep, so it waits again. */
  readonly triggers?: Record<string, string>;
  readonly dependsOn?: ITerraformDependable[];
  readonly lifecycle?: TerraformResourceLifecycle;
  readonly provider?: TerraformProvider;
}

/** A `time_sleep` resource: waits `createDuration` when created, and again whenever `triggers` change. */
export class TimeSleep extends TerraformResource {
  static readonly tfResourceType = "time_sleep";
  private readonly createDuration?: string;
  private readonly triggers?: Record<string, string>;

  constructor(scope: Construct, id: string, config: TimeSleepConfig = {}) {
    super(scope, id, {
      terraformResourceType: "time_sleep",
      terraformGeneratorMetadata: { ...TIME_PROVIDER },
      provider: config.provider,
      dependsOn: config.dependsOn,
      lifecycle: config.lifecycle,
    });
    this.createDuration = config.createDuration;
    this.triggers = config.triggers;
  }

  /** Id of the sleep (its creation time, RFC 3339). */
  get id(): string {
    return this.getStringAttribute("id");
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return {
      create_duration: stringToTerraform(this.createDuration),
      destroy_duration: stringToTerraform(undefined),
      triggers: hashMapper(stringToTerraform)(this.triggers),
    };
  }
}

/**
 * The hashicorp/time provider of the stack `scope` is in, created at the stack root (id `time`)
 * the first time a construct needs it, so any number of constructs share one; a time provider the
 * app declared itself (such as @cdktf/provider-time's) is used instead.
 */
export function ensureTimeProvider(scope: IConstruct): TerraformProvider {
  return ensureProvider(scope, TimeProvider, TIME_PROVIDER_ID);
}

/**
 * A `time_sleep` that starts once `after` (role assignments) exist and lasts
 * {@link RBAC_PROPAGATION_WAIT}, so writes that depend on it find the role in effect. `triggers`
 * (such as the role assignments' ids) make a re-created assignment wait again.
 */
export function propagationWait(scope: Construct, id: string, after: readonly ITerraformDependable[], triggers?: Record<string, string>): TimeSleep {
  ensureTimeProvider(scope);
  return new TimeSleep(scope, id, {
    createDuration: RBAC_PROPAGATION_WAIT,
    triggers,
    dependsOn: [...after],
  });
}
