#!/usr/bin/env node
// Writes the props reference of docs/props.md (between its props:begin and props:end markers) from
// the doc comments of the constructs' sources, which tsc copies into lib/**/*.d.ts unchanged.
//
// For every construct exported from src/index.ts (a class whose constructor takes scope, id and
// props): its props interface and the attributes interface of its `fromExisting`, each prop with
// its type, whether it is required, its `@default` and its doc comment (inherited props included);
// then every interface and type alias of src/ those props use, transitively (the `I...` interfaces
// a construct implements are named, not expanded: you pass a construct or a `fromExisting` view).
//
//   node scripts/props-reference.js           write docs/props.md; exit 1 if a prop has no doc comment
//   node scripts/props-reference.js --check   exit 1 if docs/props.md is not what this generates
//   node scripts/props-reference.js --json    print { page, current, problems } (test/docs/props-reference.test.ts)
//
// `npm run docs:props` runs the first. Only src/ is parsed (noResolve), so a run takes about two seconds.
const fs = require("fs");
const path = require("path");
const ts = require("typescript");

const ROOT = path.resolve(__dirname, "..");
const SRC = path.join(ROOT, "src");
const INDEX = path.join(SRC, "index.ts");
const PAGE = path.join(ROOT, "docs", "props.md");
const BEGIN = "<!-- props:begin -->";
const END = "<!-- props:end -->";

/** The page around the generated section, used when docs/props.md does not exist yet. */
const TEMPLATE = `# Props reference

Every prop of every construct the package exports, with its type, whether it is required, its
default and its doc comment; the same text your editor shows from the package's \`.d.ts\`. How the
constructs fit together, with examples: [constructs.md](constructs.md).

The section below is generated from the constructs' doc comments (\`npm run docs:props\` in the
package's repository); the package's tests fail when it differs from them or when a public prop
has no doc comment.

${BEGIN}
${END}
`;

function sourceFiles(directory) {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

function createProgram() {
  // Only the package's own sources: the types of cdktf, constructs and the providers stay
  // unresolved, which is all this needs (prop types are printed as written).
  return ts.createProgram({
    rootNames: sourceFiles(SRC),
    options: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, noResolve: true, noEmit: true, types: [], lib: ["lib.es2022.d.ts"], strict: true },
  });
}

const relativeToRoot = (file) => path.relative(ROOT, file).split(path.sep).join("/");
const oneLine = (text) => text.replace(/\s+/g, " ").trim();
/** GitHub's heading anchors, for the headings this page uses (names without spaces). */
const anchor = (name) => `#${name.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-")}`;

/** Markdown text: `<` outside code spans escaped, since `<account>` would be read as an HTML tag. */
function text(markdown) {
  return markdown
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;")))
    .join("");
}

/** Markdown for a table cell: as `text`, with `|` escaped (code spans included) and paragraphs on one line. */
const cell = (markdown) => text(markdown).replace(/\|/g, "\\|").replace(/\n\n/g, "<br><br>");

const code = (text) => `\`${text}\``;

/** Doc comment parts as markdown: `{@link X}` becomes `X` (or its link text). */
function partsToMarkdown(parts) {
  let out = "";
  let link = null;
  for (const part of parts ?? []) {
    if (part.kind === "link") {
      if (part.text.startsWith("{@link")) link = { name: "", text: "" };
      else if (link) {
        out += link.text.trim() !== "" ? link.text.trim() : code(link.name.trim());
        link = null;
      }
    } else if (link && part.kind === "linkName") link.name += part.text;
    else if (link && part.kind === "linkText") link.text += part.text;
    else out += part.text;
  }
  return out;
}

/** A doc comment's paragraphs, each on one line, separated by a blank line. */
function paragraphs(markdown) {
  return markdown
    .split(/\n\s*\n/)
    .map(oneLine)
    .filter((paragraph) => paragraph !== "")
    .join("\n\n");
}

/** A literal (`true`, `"UTC"`, `1`, `[]`, a constant's name) in code; a description as text. */
function formatDefault(text) {
  const value = oneLine(text);
  if (value.startsWith("- ")) return cell(value.slice(2));
  if (/^("[^"]*"|'[^']*'|-?\d[\w.]*|true|false|null|undefined|\[[^\]]*\]|\{[^}]*\}|[A-Za-z_$][\w.$]*(\(\))?)$/.test(value)) return cell(code(value));
  const withNote = /^("[^"]*"|-?\d[\w.]*|true|false|[A-Za-z_$][\w.$]*)[ ,:;(]\s*(.*)$/.exec(value);
  if (withNote) return cell(`${code(withNote[1])} ${value.slice(withNote[1].length).trim()}`);
  return cell(value);
}

function findTypeQuery(node) {
  if (ts.isTypeQueryNode(node)) return node;
  return ts.forEachChild(node, findTypeQuery);
}

function generate() {
  const program = createProgram();
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(INDEX);
  if (!index) throw new Error(`${relativeToRoot(INDEX)} is not in the program`);

  const resolveAlias = (symbol) => (symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const inSource = (declaration) => path.resolve(declaration.getSourceFile().fileName).startsWith(SRC + path.sep);
  const where = (node) => {
    const file = node.getSourceFile();
    return `${relativeToRoot(path.resolve(file.fileName))}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  };
  const docOf = (symbol) => partsToMarkdown(symbol.getDocumentationComment(checker)).trim();
  const tagsOf = (symbol) => symbol.getJsDocTags(checker).map((tag) => ({ name: tag.name, text: partsToMarkdown(tag.text).trim() }));

  // The exported names, in the order of src/index.ts.
  const exported = [];
  for (const statement of index.statements) {
    if (!ts.isExportDeclaration(statement) || !statement.exportClause || !ts.isNamedExports(statement.exportClause)) continue;
    for (const element of statement.exportClause.elements) {
      exported.push({ name: element.name.text, symbol: resolveAlias(checker.getSymbolAtLocation(element.name)) });
    }
  }
  const exportedNames = new Set(exported.map((entry) => entry.name));

  /** The src/ declaration a type reference names, if any. */
  const declarationOf = (typeName) => {
    const symbol = resolveAlias(checker.getSymbolAtLocation(typeName));
    const declaration = symbol?.declarations?.find((candidate) => inSource(candidate));
    return declaration ? { symbol, declaration } : undefined;
  };
  const interfaceOf = (typeNode) => {
    if (!typeNode || !ts.isTypeReferenceNode(typeNode)) return undefined;
    const found = declarationOf(typeNode.typeName);
    return found && ts.isInterfaceDeclaration(found.declaration) ? found : undefined;
  };

  // Constructs: exported classes whose public constructor takes (scope, id, props).
  const constructs = [];
  for (const { name, symbol } of exported) {
    const declaration = symbol?.declarations?.find(ts.isClassDeclaration);
    if (!declaration) continue;
    const constructor = declaration.members.find((member) => ts.isConstructorDeclaration(member) && member.body !== undefined);
    const isPublic = (member) => !(ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));
    if (!constructor || !isPublic(constructor) || constructor.parameters.length < 3) continue;
    const props = interfaceOf(constructor.parameters[2].type);
    if (!props) continue;
    const fromExisting = declaration.members.find(
      (member) => ts.isMethodDeclaration(member) && member.name.getText() === "fromExisting" && ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Static,
    );
    constructs.push({
      name,
      symbol,
      props,
      propsParameter: constructor.parameters[2].name.getText(),
      fromExisting: fromExisting && {
        attributes: interfaceOf(fromExisting.parameters[2]?.type),
        parameter: fromExisting.parameters[2]?.name.getText(),
        returns: fromExisting.type ? oneLine(fromExisting.type.getText()) : undefined,
      },
    });
  }

  const problems = [];
  const documented = new Set(); // interfaces with a section: the constructs' own, then the supporting ones
  const usedBy = new Map(); // supporting type name -> Set of "Interface.prop"
  const queue = [];
  const aliases = new Map(); // alias name -> declaration
  const constructNames = new Set(constructs.map((construct) => construct.name));
  const implementedInterfaces = new Set(); // I... interfaces named in a prop type

  const isConstructInterface = (name) => /^I[A-Z]/.test(name);

  /** Collects the src/ interfaces and aliases a type node names, for the sections below. */
  function collectReferences(typeNode, user) {
    const found = [];
    const visit = (node) => {
      if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
        const typeName = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
        const target = declarationOf(typeName);
        if (target) {
          const name = target.symbol.name;
          if (ts.isInterfaceDeclaration(target.declaration)) {
            if (isConstructInterface(name)) implementedInterfaces.add(name);
            else {
              if (!documented.has(name) && !queue.some((entry) => entry.name === name)) queue.push({ name, ...target });
              found.push(name);
              if (user) (usedBy.get(name) ?? usedBy.set(name, new Set()).get(name)).add(user);
            }
          } else if (ts.isTypeAliasDeclaration(target.declaration)) {
            if (!aliases.has(name)) {
              aliases.set(name, target);
              collectReferences(target.declaration.type, name);
            }
            found.push(name);
            if (user) (usedBy.get(name) ?? usedBy.set(name, new Set()).get(name)).add(user);
          } else if (ts.isClassDeclaration(target.declaration)) {
            found.push(name);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    if (typeNode) visit(typeNode);
    return found;
  }

  /** The rows of an interface: its own members, then those it inherits from src/ interfaces. */
  function rowsOf(interfaceName, declaration, inheritedFrom, seen = new Set()) {
    const rows = [];
    for (const member of declaration.members) {
      if (!member.name) continue;
      const name = member.name.getText();
      if (seen.has(name)) continue;
      seen.add(name);
      const symbol = checker.getSymbolAtLocation(member.name);
      const doc = symbol ? docOf(symbol) : "";
      const tags = symbol ? tagsOf(symbol) : [];
      const prop = `${inheritedFrom ?? interfaceName}.${name}`;
      if (doc === "" && !problems.some((problem) => problem.startsWith(`${prop} `))) problems.push(`${prop} has no doc comment (${where(member)})`);
      let type;
      if (ts.isMethodSignature(member)) type = `(${member.parameters.map((parameter) => oneLine(parameter.getText())).join(", ")}) => ${member.type ? oneLine(member.type.getText()) : "void"}`;
      else type = member.type ? oneLine(member.type.getText()) : "any";
      const references = collectReferences(member.type, `${interfaceName}.${name}`);
      if (ts.isMethodSignature(member)) member.parameters.forEach((parameter) => references.push(...collectReferences(parameter.type, `${interfaceName}.${name}`)));
      rows.push({ name, optional: member.questionToken !== undefined, type, references, doc, tags, inheritedFrom });
    }
    for (const clause of declaration.heritageClauses ?? []) {
      for (const base of clause.types) {
        // Omit<Props, "a" | "b">: the interface's props but the omitted ones (which this one may declare again).
        const omitted = base.expression.getText() === "Omit" && base.typeArguments?.length === 2 ? omittedNames(base.typeArguments[1]) : undefined;
        const target = declarationOf(omitted ? base.typeArguments[0].typeName : base.expression);
        if (target && ts.isInterfaceDeclaration(target.declaration)) {
          const inherited = rowsOf(interfaceName, target.declaration, target.symbol.name, seen);
          rows.push(...(omitted ? inherited.filter((row) => row.external || !omitted.has(row.name)) : inherited));
        } else rows.push({ external: oneLine(base.getText()) });
      }
    }
    return rows;
  }

  /** The names of a union of string literals (`"a" | "b"`). */
  function omittedNames(node) {
    const literals = ts.isUnionTypeNode(node) ? node.types : [node];
    return new Set(literals.filter((literal) => ts.isLiteralTypeNode(literal) && ts.isStringLiteral(literal.literal)).map((literal) => literal.literal.text));
  }

  /** Whether a name has a section on this page to link to. */
  const hasSection = (name) => constructNames.has(name) || documented.has(name) || queue.some((entry) => entry.name === name) || aliases.has(name);

  function typeCell(row) {
    const linked = [...new Set(row.references)].filter(hasSection);
    if (linked.length === 1 && linked[0] === row.type) return `[${code(row.type)}](${anchor(row.type)})`;
    return cell(code(row.type)) + (linked.length ? `<br>see ${linked.map((name) => `[${name}](${anchor(name)})`).join(", ")}` : "");
  }

  function table(interfaceName, declaration) {
    const rows = rowsOf(interfaceName, declaration, undefined);
    const lines = [];
    const external = rows.filter((row) => row.external);
    if (external.length) lines.push(`Also takes the props of ${external.map((row) => code(row.external)).join(", ")}.`, "");
    lines.push("| prop | type | required | default | description |", "|---|---|---|---|---|");
    for (const row of rows.filter((candidate) => !candidate.external)) {
      const defaults = row.tags.filter((tag) => tag.name === "default").map((tag) => formatDefault(tag.text));
      const description = [];
      if (row.inheritedFrom) description.push(`(from ${code(row.inheritedFrom)})`);
      const deprecated = row.tags.find((tag) => tag.name === "deprecated");
      if (deprecated) description.push(`**Deprecated**${deprecated.text ? `: ${deprecated.text}` : "."}`);
      description.push(paragraphs(row.doc));
      for (const tag of row.tags.filter((candidate) => candidate.name === "see")) description.push(`See ${tag.text}.`);
      const required = row.optional ? "optional" : "**required**";
      lines.push(`| ${code(row.name)} | ${typeCell(row)} | ${required} | ${defaults.join("; ")} | ${cell(description.filter((part) => part !== "").join(" "))} |`);
    }
    return lines;
  }

  const out = [];
  const heading = (level, text) => out.push(`${"#".repeat(level)} ${text}`, "");

  // First pass: register the constructs' own interfaces so links to them resolve.
  for (const construct of constructs) {
    documented.add(construct.props.symbol.name);
    if (construct.fromExisting?.attributes) documented.add(construct.fromExisting.attributes.symbol.name);
  }

  out.push(
    `Constructs: ${constructs.map((construct) => `[${construct.name}](${anchor(construct.name)})`).join(" · ")} · [Supporting interfaces](#supporting-interfaces) · [Types](#types)`,
    "",
    "A default in code is the prop's value when unset; a default in words says what happens instead.",
    "",
  );

  for (const construct of constructs) {
    heading(2, construct.name);
    const signatures = [`new ${construct.name}(scope, id, ${construct.propsParameter}: ${construct.props.symbol.name})`];
    if (construct.fromExisting) {
      const attributes = construct.fromExisting.attributes?.symbol.name ?? "unknown";
      signatures.push(`${construct.name}.fromExisting(scope, id, ${construct.fromExisting.parameter}: ${attributes})${construct.fromExisting.returns ? `: ${construct.fromExisting.returns}` : ""}`);
    }
    out.push(signatures.map(code).join("<br>"), "");
    const classDoc = paragraphs(docOf(construct.symbol));
    if (classDoc) out.push(text(classDoc), "");
    heading(3, construct.props.symbol.name);
    out.push(...table(construct.props.symbol.name, construct.props.declaration), "");
    if (construct.fromExisting?.attributes) {
      heading(3, construct.fromExisting.attributes.symbol.name);
      const attributesDoc = paragraphs(docOf(construct.fromExisting.attributes.symbol));
      if (attributesDoc) out.push(text(attributesDoc), "");
      out.push(...table(construct.fromExisting.attributes.symbol.name, construct.fromExisting.attributes.declaration), "");
    }
  }

  heading(2, "Supporting interfaces");
  out.push("The interfaces the props above take, with the props that use them.", "");
  const supporting = [];
  while (queue.length) {
    const next = queue.shift();
    if (documented.has(next.name)) continue;
    documented.add(next.name);
    const lines = [];
    const doc = paragraphs(docOf(next.symbol));
    if (doc) lines.push(text(doc), "");
    lines.push(...table(next.name, next.declaration), "");
    supporting.push({ name: next.name, lines });
  }
  for (const entry of supporting.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    heading(3, entry.name);
    const users = [...(usedBy.get(entry.name) ?? [])].sort();
    out.push(`${exportedNames.has(entry.name) ? "Exported." : "Not exported by name; its shape is what counts."} Used by ${users.map(code).join(", ")}.`, "");
    out.push(...entry.lines);
  }

  heading(2, "Types");
  out.push("The type aliases the props above use, with the values they allow.", "");
  out.push("| type | is | description | used by |", "|---|---|---|---|");
  for (const [name, { symbol, declaration }] of [...aliases].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const written = oneLine(declaration.type.getText());
    const expanded = written.includes("typeof ")
      ? checker.typeToString(checker.getTypeAtLocation(declaration.name), undefined, ts.TypeFormatFlags.InTypeAlias | ts.TypeFormatFlags.NoTruncation)
      : written;
    const users = [...(usedBy.get(name) ?? [])].sort();
    // `(typeof VALUES)[number]`: the values' doc comment describes the type.
    let doc = docOf(symbol);
    const query = doc === "" ? findTypeQuery(declaration.type) : undefined;
    const valuesSymbol = query && resolveAlias(checker.getSymbolAtLocation(query.exprName));
    if (valuesSymbol) doc = docOf(valuesSymbol);
    out.push(`| ${code(name)} | ${cell(code(expanded))} | ${cell(paragraphs(doc))} | ${users.map(code).join(", ")} |`);
  }
  out.push("");

  if (implementedInterfaces.size) {
    out.push(
      `Props typed ${[...implementedInterfaces].sort().map(code).join(", ")} take a construct of this package or a \`fromExisting\` view (see [constructs.md](constructs.md#interfaces-and-existing-resources)); their members are in the package's \`.d.ts\`.`,
      "",
    );
  }

  const section = out.join("\n").replace(/\n+$/, "\n");
  const current = fs.existsSync(PAGE) ? fs.readFileSync(PAGE, "utf8") : undefined;
  const base = current !== undefined && current.includes(BEGIN) && current.includes(END) ? current : TEMPLATE;
  const page = `${base.slice(0, base.indexOf(BEGIN) + BEGIN.length)}\n${section}${base.slice(base.indexOf(END))}`;
  return { page, current, problems };
}

function main() {
  const args = process.argv.slice(2);
  const { page, current, problems } = generate();
  if (args.includes("--json")) {
    process.stdout.write(JSON.stringify({ page, current: current ?? null, problems }));
    return;
  }
  for (const problem of problems) process.stderr.write(`props-reference: ${problem}\n`);
  if (args.includes("--check")) {
    if (page !== current) {
      process.stderr.write(`props-reference: ${relativeToRoot(PAGE)} is out of date; run npm run docs:props\n`);
      process.exitCode = 1;
    }
  } else if (page !== current) {
    fs.writeFileSync(PAGE, page);
    process.stdout.write(`props-reference: wrote ${relativeToRoot(PAGE)}\n`);
  } else {
    process.stdout.write(`props-reference: ${relativeToRoot(PAGE)} is up to date\n`);
  }
  if (problems.length) process.exitCode = 1;
}

if (require.main === module) main();

module.exports = { generate };
