// The construct library: import these into your own stacks.
export * from "./constructs/validation";
export * from "./constructs/placement";
export * from "./constructs/observability";
export * from "./constructs/private-endpoint";
export * from "./constructs/deletion-protection";
export * from "./constructs/secure-network";
export * from "./constructs/secret-store";
export * from "./constructs/lake-storage";
export * from "./constructs/relational-sink";
export * from "./constructs/spark-batch-pipeline";
export * from "./constructs/pipeline-grants";
export * from "./constructs/cluster-policy";
export * from "./constructs/job-schedule";
export * from "./constructs/job-code";
// The estate's own stacks and their per-environment configuration.
export * from "./stacks";
