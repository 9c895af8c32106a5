import { Construct, IConstruct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
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
 * The hashicorp/time provider of the stack `scope` is in, created at the stack root (id `time`)
 * the first time a construct needs it, so any number of constructs share one.
 */
export function ensureTimeProvider(scope: IConstruct): TimeProvider {
  return ensureProvider(scope, TimeProvider, TIME_PROVIDER_ID);
}

/**
 * A `time_sleep` that starts once `after` (role assignments) exist and lasts
 * {@link RBAC_PROPAGATION_WAIT}, so writes that depend on it find the role in effect. `triggers`
 * (such as the role assignments' ids) make a re-created assignment wait again.
 */
export function propagationWait(scope: Construct, id: string, after: readonly ITerraformDependable[], triggers?: Record<string, string>): Sleep {
  ensureTimeProvider(scope);
  return new Sleep(scope, id, {
    createDuration: RBAC_PROPAGATION_WAIT,
    triggers,
    dependsOn: [...after],
  });
}
