import { App } from "cdktf";
import { ENVIRONMENTS, stackName } from "./stacks/config";
import { dev } from "./stacks/dev";
import { EstateStack } from "./stacks/estate-stack";
import { prod } from "./stacks/prod";
import { test } from "./stacks/test";

const configs = { dev, test, prod };
const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? "cdktf.out" });
for (const environment of ENVIRONMENTS) {
  new EstateStack(app, stackName(environment), configs[environment]);
}
app.synth();
