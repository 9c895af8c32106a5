#!/usr/bin/env node
// The cdktf app (cdktf.json's "app", and `npm run synth`): compiled JavaScript, rebuilt only where the
// TypeScript changed, without type checking. Type checking stays in `npm run build` (tsc) and lint.
//
// - Each src/**/*.ts whose size or mtime differs from the last run (or whose output is missing) is
//   transpiled with @swc/core into .app/ (CommonJS, the same layout as tsc's lib/, at the same depth
//   below the repo root, so `__dirname`-relative paths such as `../../spark` resolve alike). Outputs
//   of deleted sources are removed. Changing the swc options or version rebuilds everything.
// - .app/ is this script's alone: tsc owns lib/ (its .js, .d.ts and incremental .tsbuildinfo), which
//   is what `npm pack` ships, so neither ever overwrites the other's output.
// - Then .app/main.js runs in this process (or another compiled entry named as the first argument,
//   such as tools/preflight-cli.js, which gets the remaining arguments). @swc/core is loaded only
//   when something is stale.
// - Source maps are written beside each file; run with NODE_OPTIONS=--enable-source-maps to use them.
// - A V8 code cache (.cache/app-v8/, keyed by node version, module path and module content) spares
//   recompiling cdktf and the provider bindings on every run, about 10-15% of the app's time
//   (Node 20 has no module.enableCompileCache). APP_COMPILE_CACHE=0 turns it off.
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const srcDir = path.join(root, "src");
const outDir = path.join(root, ".app");
const manifestFile = path.join(outDir, ".manifest.json");

const swcOptions = {
  jsc: {
    parser: { syntax: "typescript" },
    target: "es2022",
    transform: { useDefineForClassFields: true },
  },
  module: { type: "commonjs" },
  sourceMaps: true,
  swcrc: false,
  configFile: false,
};

/** Every .ts source (no .d.ts) under src/, as paths relative to src/, with its size and mtime. */
function sources() {
  const found = new Map();
  const walk = (relativeDir) => {
    for (const entry of fs.readdirSync(path.join(srcDir, relativeDir), { withFileTypes: true })) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        const stat = fs.statSync(path.join(srcDir, relative));
        found.set(relative, `${stat.size}:${stat.mtimeMs}`);
      }
    }
  };
  walk("");
  return found;
}

function readManifest() {
  try {
    return JSON.parse(fs.readFileSync(manifestFile, "utf8"));
  } catch {
    return { key: undefined, files: {} };
  }
}

function swcVersion() {
  return JSON.parse(fs.readFileSync(require.resolve("@swc/core/package.json"), "utf8")).version;
}

/**
 * Compiles CommonJS modules through vm.Script with V8's cached data, as the v8-compile-cache package
 * does. A module without usable cached data compiles as usual; its cache is written at exit (after
 * the run has compiled its lazy functions too), through a rename so that a concurrent run never
 * reads half a file.
 */
function enableCompileCache() {
  const Module = require("module");
  const vm = require("vm");
  const crypto = require("crypto");
  const cacheDir = path.join(root, ".cache", "app-v8", `${process.version}-${process.arch}`);
  const original = Module.prototype._compile;
  const pending = [];
  Module.prototype._compile = function compileWithCache(content, filename, format) {
    if ((format !== undefined && format !== "commonjs") || !filename.endsWith(".js")) return original.apply(this, arguments);
    const key = crypto.createHash("sha1").update(filename).update("\0").update(content).digest("hex");
    const cacheFile = path.join(cacheDir, key.slice(0, 2), key);
    let cachedData;
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
    const source = content.startsWith("#!") ? `//${content}` : content;
    const script = new vm.Script(Module.wrap(source), { filename, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
    if (cachedData === undefined || script.cachedDataRejected) pending.push([cacheFile, script]);
    const compiled = script.runInThisContext({ displayErrors: true });
    const require = (id) => this.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, this, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, this);
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return compiled.call(this.exports, this.exports, require, this, filename, path.dirname(filename));
  };
  process.once("exit", () => {
    for (const [cacheFile, script] of pending) {
      try {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        const partial = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(partial, script.createCachedData());
        fs.renameSync(partial, cacheFile);
      } catch {
        // A cache entry that cannot be written only costs time on the next run.
      }
    }
  });
}

const outputOf = (relative) => path.join(outDir, relative.replace(/\.ts$/, ".js"));

async function rebuild() {
  const current = sources();
  const previous = readManifest();
  const key = JSON.stringify({ swc: swcVersion(), options: swcOptions });
  const rebuildAll = key !== previous.key;
  const stale = [...current].filter(([relative, stamp]) => rebuildAll || previous.files[relative] !== stamp || !fs.existsSync(outputOf(relative)));
  const removed = Object.keys(previous.files).filter((relative) => !current.has(relative));
  for (const relative of removed) {
    for (const file of [outputOf(relative), `${outputOf(relative)}.map`]) fs.rmSync(file, { force: true });
  }
  if (stale.length) {
    const swc = require("@swc/core");
    await Promise.all(
      stale.map(async ([relative]) => {
        const source = path.join(srcDir, relative);
        const output = outputOf(relative);
        const { code, map } = await swc.transformFile(source, { ...swcOptions, filename: source, outputPath: output, sourceFileName: path.relative(path.dirname(output), source) });
        fs.mkdirSync(path.dirname(output), { recursive: true });
        fs.writeFileSync(output, `${code}\n//# sourceMappingURL=${path.basename(output)}.map\n`);
        if (map) fs.writeFileSync(`${output}.map`, map);
      }),
    );
  }
  if (stale.length || removed.length) {
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(manifestFile, JSON.stringify({ key, files: Object.fromEntries(current) }));
  }
  if (process.env.APP_VERBOSE) process.stderr.write(`app: ${stale.length} transpiled, ${removed.length} removed\n`);
}

rebuild()
  .then(() => {
    if (process.env.APP_COMPILE_CACHE !== "0") enableCompileCache();
    const [entry = "main.js", ...entryArgs] = process.argv.slice(2);
    process.argv = [process.argv[0], path.join(outDir, entry), ...entryArgs];
    // Loaded as the main module, so an entry's `require.main === module` check holds as under `node`.
    require("module")._load(path.join(outDir, entry), null, true);
  })
  .catch((error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  });
