/**
 * No password in Terraform state (issue 26): every stack generates its passwords as ephemeral
 * values and hands them on through write-only arguments only, and passes real `terraform validate`
 * with the pinned providers, ephemeral blocks included. The examples get the same checks from the
 * packed tarball (test/package/examples.test.ts).
 */
import { Testing } from "cdktf";
import { PLAN_WITHOUT_SECRETS_CONTEXT } from "../../src/constructs/core/ephemeral";
import { ENVIRONMENTS, stackName } from "../../src/stacks/config";
import { EstateStack } from "../../src/stacks/estate-stack";
import { CONFIGS, synthEnvironment, synthStack } from "../helpers/synth";
import { resourceSchemas, terraformValidateProblems } from "../helpers/terraform-validate";
import { secretsKeptInState } from "./secrets-in-state";

const schemas = () => resourceSchemas(synthEnvironment("prod"));

describe("secrets and Terraform state", () => {
  it.each(ENVIRONMENTS)("keeps no secret in the state of estate-%s: no random_password resource, every sensitive argument write-only", (environment) => {
    expect(secretsKeptInState(synthEnvironment(environment), schemas())).toEqual([]);
  });

  it("catches, on purpose, a random_password resource and a sensitive argument kept in state", () => {
    const broken = JSON.parse(JSON.stringify(synthEnvironment("dev")));
    broken.resource.random_password = { admin: { length: 40 } };
    const [secret] = Object.values(broken.resource.azurerm_key_vault_secret as Record<string, Record<string, unknown>>).filter((body) => body.value_wo !== undefined);
    secret.value = secret.value_wo;
    delete secret.value_wo;
    delete secret.value_wo_version;
    expect(secretsKeptInState(broken, schemas())).toEqual([
      expect.stringMatching(/^azurerm_key_vault_secret\..*: value is sensitive and kept in state/),
      "random_password.admin: a random_password resource keeps its result in state",
    ]);
  });
});

describe("terraform validate with the pinned providers", () => {
  it.each(ENVIRONMENTS)("accepts estate-%s, ephemeral blocks and write-only arguments included", (environment) => {
    expect(terraformValidateProblems(synthEnvironment(environment))).toEqual([]);
  });

  it("accepts estate-prod synthesized for a plan without secrets", () => {
    const app = Testing.app({ context: { [PLAN_WITHOUT_SECRETS_CONTEXT]: true } });
    expect(terraformValidateProblems(synthStack(new EstateStack(app, stackName("prod"), CONFIGS.prod)))).toEqual([]);
  });

  it("catches, on purpose, a write-only value without its version, which the provider refuses", () => {
    const broken = JSON.parse(JSON.stringify(synthEnvironment("dev")));
    const [server] = Object.values(broken.resource.azurerm_postgresql_flexible_server as Record<string, Record<string, unknown>>);
    delete server.administrator_password_wo_version;
    expect(terraformValidateProblems(broken)).toEqual([expect.stringMatching(/^Missing required argument: "administrator_password_wo": all of `administrator_password_wo,administrator_password_wo_version` must be specified/)]);
  });
});
