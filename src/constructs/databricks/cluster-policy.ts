/**
 * The job cluster policy as data: what a cluster created under it may and may not choose.
 * Kept apart from the construct so the rules can be read, and tested, on their own.
 */

/**
 * Databricks Runtime 17.3 LTS (Apache Spark 4.0.0, Scala 2.13): the runtime whose Spark version
 * matches the `pyspark==4.0.0` that `spark/` is tested with.
 */
export const DATABRICKS_RUNTIME = "17.3.x-scala2.13";

/**
 * Access modes a job cluster under the policy may use with Unity Catalog: only `SINGLE_USER`
 * (dedicated), which runs as one identity, the job's service principal, with the full Spark API
 * and `dbutils.fs` credential vending. `USER_ISOLATION` (standard) is not offered: it blocks the
 * APIs the ETL relies on.
 */
export const DATA_SECURITY_MODES = ["SINGLE_USER"] as const;
export type DataSecurityMode = (typeof DATA_SECURITY_MODES)[number];

/** One rule of a Databricks cluster policy definition. */
export type PolicyRule =
  | { readonly type: "fixed"; readonly value: string | number | boolean; readonly hidden?: boolean }
  | { readonly type: "allowlist"; readonly values: readonly string[]; readonly defaultValue?: string }
  | { readonly type: "range"; readonly minValue: number; readonly maxValue: number; readonly defaultValue?: number }
  | { readonly type: "forbidden"; readonly hidden?: boolean };

export interface JobClusterPolicyOptions {
  /** Runtime every cluster must use. */
  readonly sparkVersion: string;
  /** VM sizes workers and driver may use; the first is the default. */
  readonly nodeTypeIds: readonly string[];
  /** Smallest and largest autoscale bounds a cluster may ask for. */
  readonly minWorkers: number;
  readonly maxWorkers: number;
  /** Clusters have a fixed number of workers within the bounds instead of autoscaling. */
  readonly fixedSize?: boolean;
  readonly dataSecurityMode: DataSecurityMode;
  /** Tags every cluster must carry, such as environment and cost centre. */
  readonly requiredTags: Readonly<Record<string, string>>;
  /**
   * The one identity a dedicated cluster runs as (the job's service principal), pinned by the policy.
   * @default - not pinned
   */
  readonly singleUserName?: string;
}

/**
 * A job-only policy: clusters are job clusters, on the pinned runtime and access mode, on
 * allow-listed VM sizes (instance pools are forbidden, since a pool would bypass the VM list),
 * inside the autoscale bounds, and carry the required tags.
 */
export function jobClusterPolicyDefinition(options: JobClusterPolicyOptions): Record<string, PolicyRule> {
  const definition: Record<string, PolicyRule> = {
    cluster_type: { type: "fixed", value: "job" },
    spark_version: { type: "fixed", value: options.sparkVersion },
    data_security_mode: { type: "fixed", value: options.dataSecurityMode },
    node_type_id: { type: "allowlist", values: [...options.nodeTypeIds], defaultValue: options.nodeTypeIds[0] },
    driver_node_type_id: { type: "allowlist", values: [...options.nodeTypeIds], defaultValue: options.nodeTypeIds[0] },
    instance_pool_id: { type: "forbidden", hidden: true },
    driver_instance_pool_id: { type: "forbidden", hidden: true },
  };
  const workers = { type: "range", minValue: options.minWorkers, maxValue: options.maxWorkers } as const;
  if (options.fixedSize ?? false) {
    // No autoscale default: with apply_policy_default_values it would turn a fixed-size cluster into an autoscaling one.
    Object.assign(definition, { num_workers: { ...workers, defaultValue: options.maxWorkers }, "autoscale.min_workers": workers, "autoscale.max_workers": workers });
  } else {
    definition["autoscale.min_workers"] = { ...workers, defaultValue: options.minWorkers };
    definition["autoscale.max_workers"] = { ...workers, defaultValue: options.maxWorkers };
  }
  if (options.singleUserName !== undefined) definition.single_user_name = { type: "fixed", value: options.singleUserName };
  for (const [key, value] of Object.entries(options.requiredTags)) {
    definition[`custom_tags.${key}`] = { type: "fixed", value };
  }
  return definition;
}
