/**
 * docs/using-in-your-app.md states versions and settings that live elsewhere (package.json, the
 * constructs' synth checks); these checks keep them in step. Its tsconfig.json and main.ts are
 * compiled by TypeScript 5.9 and 7 and synthesized in test/package/examples.test.ts.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..", "..");
const read = (file: string): string => readFileSync(join(ROOT, file), "utf8");
const PAGE = "docs/using-in-your-app.md";

interface PackageJson {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
  files: string[];
}
const pkg = JSON.parse(read("package.json")) as PackageJson;
const optionalPeers = Object.keys(pkg.peerDependencies).filter((name) => pkg.peerDependenciesMeta?.[name]?.optional === true);
const requiredPeers = Object.keys(pkg.peerDependencies).filter((name) => !optionalPeers.includes(name));

/** The fenced blocks of a page, with their language. */
function blocks(text: string): { language: string; body: string }[] {
  return [...text.matchAll(/^```([a-z]*)\n([\s\S]*?)^```$/gm)].map((match) => ({ language: match[1], body: match[2] }));
}
/** `npm install` commands of a page's bash blocks, continuation lines joined, as their arguments. */
function npmInstalls(text: string): string[][] {
  return blocks(text)
    .filter((block) => block.language === "bash")
    .flatMap((block) => block.body.replace(/\\\n\s*/g, " ").split("\n"))
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line.startsWith("npm install "))
    .map((line) => line.split(/\s+/).slice(2));
}

describe("docs/using-in-your-app.md", () => {
  const page = read(PAGE);

  it("installs the package with every required peer at its peerDependencies range, and the optional ones only for the lake CLI", () => {
    expect(optionalPeers.sort()).toEqual(["@azure/identity", "@azure/storage-blob"]);
    const installs = npmInstalls(page);
    const packageInstall = installs.find((args) => args[0] === "azure-quarterly-batch");
    expect(packageInstall?.slice(1).sort()).toEqual(requiredPeers.map((name) => `${name}@${pkg.peerDependencies[name]}`).sort());
    const lakeInstall = installs.find((args) => args.some((arg) => arg.startsWith("@azure/")));
    expect(lakeInstall?.sort()).toEqual(optionalPeers.map((name) => `${name}@${pkg.peerDependencies[name]}`).sort());
  });

  it("names the TypeScript 5.9 and 7 versions the package is tested with", () => {
    expect(pkg.devDependencies.typescript).toMatch(/^5\.9\.\d+$/);
    expect(pkg.devDependencies["@typescript/native-preview"]).toMatch(/^7\.\d+\.\d+-dev\.\d+\.\d+$/);
    const devInstalls = npmInstalls(page).filter((args) => args[0] === "--save-dev").map((args) => args.slice(1));
    expect(devInstalls).toEqual(
      expect.arrayContaining([
        expect.arrayContaining([`typescript@${pkg.devDependencies.typescript}`]),
        expect.arrayContaining([`@typescript/native-preview@${pkg.devDependencies["@typescript/native-preview"]}`]),
      ]),
    );
  });

  it("has a tsconfig.json with module and moduleResolution nodenext, and a cdktf.json, both valid JSON", () => {
    const json = blocks(page).filter((block) => block.language === "json").map((block) => JSON.parse(block.body) as Record<string, unknown>);
    const tsconfig = json.find((candidate) => "compilerOptions" in candidate) as { compilerOptions: Record<string, unknown> } | undefined;
    expect(tsconfig?.compilerOptions).toEqual(expect.objectContaining({ module: "nodenext", moduleResolution: "nodenext", skipLibCheck: true, types: ["node"] }));
    const cdktf = json.find((candidate) => candidate.language === "typescript");
    expect(cdktf).toEqual(expect.objectContaining({ language: "typescript", app: expect.stringMatching(/node main\.js$/) }));
  });

  it("states the provider setting and the Terraform version the constructs require, as synth checks them", () => {
    const requirements = read("src/constructs/core/terraform-requirements.ts");
    const minimum = /MINIMUM_TERRAFORM_VERSION = "(\d+\.\d+)\.\d+"/.exec(requirements)?.[1];
    expect(minimum).toBe("1.11");
    expect(page).toContain(`Terraform **${minimum} or later**`);
    expect(page).toContain(`required_version = ">= ${minimum}.0"`);
    expect(requirements).toContain("features: [{ storage: [{ dataPlaneAvailable: false }] }]");
    expect(page).toContain("`features: [{ storage: [{ dataPlaneAvailable: false }] }]`");
    const main = blocks(page).find((block) => block.language === "ts" && block.body.includes("app.synth()"))?.body ?? "";
    expect(main).toContain("features: [{ storage: [{ dataPlaneAvailable: false }] }]");
    expect(main).toContain("storageUseAzuread: true");
  });

  it("outputs the workspace URL and the job id a deploy needs, and tells how to read them", () => {
    const main = blocks(page).find((block) => block.language === "ts" && block.body.includes("app.synth()"))?.body ?? "";
    expect(main).toMatch(/new TerraformOutput\(stack, "databricks_workspace_url", \{ value: pipeline\.workspaceUrl \}\)/);
    expect(main).toMatch(/new TerraformOutput\(stack, "databricks_job_id", \{ value: pipeline\.jobId \}\)/);
    expect(page).toContain("output -raw databricks_workspace_url");
    expect(page).toContain("output -raw databricks_job_id");
  });

  it("is linked from the README's section on using the constructs, and shipped in the package", () => {
    const readme = read("README.md");
    const section = readme.slice(readme.indexOf("## Use it in your own app"), readme.indexOf("\n## ", readme.indexOf("## Use it in your own app") + 1));
    expect(section).toContain("(docs/using-in-your-app.md)");
    expect(pkg.files).toEqual(expect.arrayContaining(["docs/*.md"]));
  });

  it.each(["README.md", "docs/constructs.md", PAGE, "examples/README.md"])("%s installs the package with the peers at their peerDependencies ranges", (file) => {
    const installs = npmInstalls(read(file)).filter((args) => args[0] === "azure-quarterly-batch");
    expect(installs.length).toBeGreaterThan(0);
    for (const args of installs) expect(args.slice(1).sort()).toEqual(requiredPeers.map((name) => `${name}@${pkg.peerDependencies[name]}`).sort());
  });
});
