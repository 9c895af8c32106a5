export * from "./config";
export * from "./estate-stack";
export { dev } from "./dev";
export { test } from "./test";
export { prod } from "./prod";
