/**
 * A minimal require hook for child processes in the first-apply tests: transpiles src/**\/*.ts with
 * @swc/core (as jest does, no type checking), so a child runs the real config modules and CLI.
 */
const fs = require("node:fs");
const swc = require("@swc/core");

require.extensions[".ts"] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, "utf8"), {
    filename,
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" },
    swcrc: false,
    configFile: false,
  });
  module._compile(code, filename);
};
