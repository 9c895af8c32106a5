/**
 * The access model covers every block a stack holds (issue 25): each resource type, data source and
 * ephemeral resource of the estate's stacks (and, from the packed tarball, the examples':
 * test/package/examples.test.ts) has its refresh and apply rights, read from a cited provider source.
 */
import { Testing } from "cdktf";
import { PLAN_WITHOUT_SECRETS_CONTEXT } from "../../src/constructs/core/ephemeral";
import { PIPELINE_IDENTITIES, requiredRights } from "../../src/access/pipeline-identities";
import { blockTypesOf, RESOURCE_RIGHTS } from "../../src/access/resource-rights";
import { RIGHTS } from "../../src/access/rights";
import { ENVIRONMENTS, stackName } from "../../src/stacks/config";
import { EstateStack } from "../../src/stacks/estate-stack";
import { CONFIGS, synthEnvironment, synthStack } from "../helpers/synth";

describe("the access model", () => {
  it.each(ENVIRONMENTS)("knows every block type of estate-%s", (environment) => {
    expect(blockTypesOf(synthEnvironment(environment)).filter((key) => RESOURCE_RIGHTS[key] === undefined)).toEqual([]);
  });

  it("knows every block type of a stack synthesized for a plan without secrets", () => {
    const stack = synthStack(new EstateStack(Testing.app({ context: { [PLAN_WITHOUT_SECRETS_CONTEXT]: true } }), stackName("test"), CONFIGS.test));
    expect(blockTypesOf(stack).filter((key) => RESOURCE_RIGHTS[key] === undefined)).toEqual([]);
  });

  it("cites a pinned provider source for every entry", () => {
    for (const [key, rights] of Object.entries(RESOURCE_RIGHTS)) {
      expect({ key, source: rights.source }).toEqual({ key, source: expect.stringMatching(/@v\d+\.\d+\.\d+ \S+\.go$/) });
    }
  });

  it("says where each type without a read-only refresh right is refreshed", () => {
    const undecided = Object.entries(RESOURCE_RIGHTS).filter(([, rights]) => !rights.refresh.readOnly && !rights.decision).map(([key]) => key);
    expect(undecided).toEqual([]);
  });

  it("refuses a stack that holds a type it does not know, naming it", () => {
    const gained = { ...synthEnvironment("dev"), resource: { ...synthEnvironment("dev").resource, databricks_sql_endpoint: { warehouse: {} } } };
    expect(() => requiredRights(PIPELINE_IDENTITIES.drift, gained)).toThrow("the access model has no entry for resource:databricks_sql_endpoint");
  });
});

describe("the pipeline identities' rights", () => {
  it("give the pull-request plan identity of dev the state and Reader only: no vault, no Databricks", () => {
    expect(requiredRights(PIPELINE_IDENTITIES.plan, synthEnvironment("dev")).map(({ right }) => right)).toEqual(expect.arrayContaining([RIGHTS.reader, RIGHTS.stateReader]));
    expect(requiredRights(PIPELINE_IDENTITIES.plan, synthEnvironment("dev"))).toHaveLength(2);
  });

  it("give the pull-request plan identity of test Key Vault Reader too, which the DBFS key's current version read needs, and no secret", () => {
    const planes = requiredRights(PIPELINE_IDENTITIES.plan, synthEnvironment("test")).map(({ right }) => right);
    expect(planes).toContainEqual(RIGHTS.vaultReader);
    expect(planes).not.toContainEqual(RIGHTS.secretsUser);
    expect(planes.filter((right) => right.plane.startsWith("databricks") || right.plane === "unity-catalog")).toEqual([]);
  });

  it("give the drift identity what a refresh of prod reads, and no Azure right that writes", () => {
    const rights = requiredRights(PIPELINE_IDENTITIES.drift, synthEnvironment("prod")).map(({ right }) => right);
    expect(rights).toEqual(expect.arrayContaining([RIGHTS.secretsUser, RIGHTS.vaultReader, RIGHTS.workspaceAdmin, RIGHTS.accountAdmin, RIGHTS.manageCatalog, RIGHTS.manageLocations]));
    const azureWrites = [RIGHTS.contributor, RIGHTS.rbacAdministrator, RIGHTS.locksContributor, RIGHTS.networkContributorOnPeered, RIGHTS.secretsOfficer, RIGHTS.cryptoOfficer, RIGHTS.stateContributor];
    for (const write of azureWrites) expect(rights).not.toContainEqual(write);
  });

  it("give the deploy identity Locks Contributor where a stack locks its resources, which Contributor lacks", () => {
    expect(requiredRights(PIPELINE_IDENTITIES.deploy, synthEnvironment("prod")).map(({ right }) => right)).toContainEqual(RIGHTS.locksContributor);
    expect(requiredRights(PIPELINE_IDENTITIES.deploy, synthEnvironment("dev")).map(({ right }) => right)).not.toContainEqual(RIGHTS.locksContributor);
  });

  it("never let an identity that runs unreviewed code hold a right that writes, or read a secret", () => {
    const writing = new Set(["Contributor", "Role Based Access Control Administrator", "Locks Contributor", "Network Contributor", "Key Vault Secrets Officer", "Key Vault Crypto Officer", "Key Vault Secrets User", "Storage Blob Data Contributor", "account admin", "workspace admin", "MANAGE"]);
    for (const identity of Object.values(PIPELINE_IDENTITIES).filter((candidate) => candidate.runsUnreviewedCode)) {
      for (const environment of identity.environments) {
        const held = requiredRights(identity, synthEnvironment(environment as "dev")).map(({ right }) => right.right);
        expect({ identity: identity.name, environment, writing: held.filter((right) => writing.has(right)) }).toEqual({ identity: identity.name, environment, writing: [] });
      }
    }
  });
});
