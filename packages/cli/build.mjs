// Bundles the CLI and @qus/core into one ESM file: one module to load keeps `qus` start-up close to bare node.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync("package.json", "utf8"));

await build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/qus.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  conditions: ["@qus/source"],
  // Loaded on demand by `qus buildx` only, from node_modules: keeps the bundle (and every other command) small.
  external: ["@qus/buildx"],
  minifySyntax: true,
  sourcemap: "linked",
  banner: {
    js: "import { createRequire as __qusRequire } from 'node:module'; const require = __qusRequire(import.meta.url);",
  },
  define: { QUS_VERSION: JSON.stringify(version) },
  logLevel: "warning",
});
