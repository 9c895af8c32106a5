/**
 * docs/props.md's props reference cannot drift from the source (issue 20): it must be exactly what
 * `npm run docs:props` (scripts/props-reference.js) generates from the doc comments, every public
 * prop must have a doc comment, and, checked here independently of the generator's own walk, every
 * prop the type checker finds on a construct's props or `fromExisting` attributes must have a row.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as ts from "typescript";

const ROOT = resolve(__dirname, "..", "..");
const SCRIPT = join(ROOT, "scripts", "props-reference.js");
const PAGE = join(ROOT, "docs", "props.md");

interface Generated {
  page: string;
  current: string | null;
  problems: string[];
}

let generated: Generated;

beforeAll(() => {
  // The generator's own function, in this process: its `--json` output is exactly this.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JavaScript script
  const { generate } = require(SCRIPT) as { generate: () => Generated & { current?: string } };
  const { page, current, problems } = generate();
  generated = { page, current: current ?? null, problems };
});

/** The props the type checker sees on each construct's props and attributes interfaces, by interface. */
function checkerProps(): Map<string, string[]> {
  const index = join(ROOT, "src", "index.ts");
  const program = ts.createProgram({
    rootNames: [index],
    options: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, noEmit: true, types: [], skipLibCheck: true, noResolve: false },
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  const byInterface = new Map<string, string[]>();
  const record = (typeNode: ts.TypeNode | undefined) => {
    if (!typeNode || !ts.isTypeReferenceNode(typeNode)) return;
    const type = checker.getTypeFromTypeNode(typeNode);
    byInterface.set(typeNode.typeName.getText(), checker.getPropertiesOfType(type).map((property) => property.name));
  };
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declaration = symbol.declarations?.find(ts.isClassDeclaration);
    if (!declaration) continue;
    const constructor = declaration.members.find(ts.isConstructorDeclaration);
    if (!constructor || constructor.parameters.length < 3 || ts.getCombinedModifierFlags(constructor) & ts.ModifierFlags.Private) continue;
    record(constructor.parameters[2].type);
    const fromExisting = declaration.members.find((member): member is ts.MethodDeclaration => ts.isMethodDeclaration(member) && member.name.getText() === "fromExisting");
    record(fromExisting?.parameters[2]?.type);
  }
  return byInterface;
}

describe("docs/props.md, the props reference", () => {
  it("is what npm run docs:props generates from the source (run it after changing a prop or its doc comment)", () => {
    expect(generated.current).not.toBeNull();
    expect(generated.current).toBe(generated.page);
  });

  it("has a doc comment for every public prop", () => {
    expect(generated.problems).toEqual([]);
  });

  it("has a row for every prop the type checker finds on every construct's props and fromExisting attributes", () => {
    const page = readFileSync(PAGE, "utf8");
    const sections = new Map(
      page.split(/^### /m).slice(1).map((section) => [section.slice(0, section.indexOf("\n")).trim(), section] as const),
    );
    const props = checkerProps();
    // The constructs issue 20 names, with SparkBatchPipeline's props among them.
    expect([...props.keys()]).toEqual(expect.arrayContaining(["SecureNetworkProps", "SecretStoreProps", "LakeStorageProps", "RelationalSinkProps", "ObservabilityProps", "DatabricksWorkspaceProps", "SparkBatchPipelineProps", "SecureNetworkAttributes"]));
    const missing = [...props].flatMap(([name, members]) => {
      const section = sections.get(name);
      if (!section) return [`${name}: no section`];
      return members.filter((member) => !section.includes(`\n| \`${member}\` |`)).map((member) => `${name}.${member}`);
    });
    expect(missing).toEqual([]);
  });

  it("is linked from docs/constructs.md and the README", () => {
    expect(readFileSync(join(ROOT, "docs", "constructs.md"), "utf8")).toContain("(props.md)");
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain("(docs/props.md)");
  });
});
