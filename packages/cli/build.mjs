// Bundles the CLI with @qus/core: `dist/qus.js` holds the commands on this machine's kernel (one module to load keeps
// `qus` start-up close to bare node), `dist/engines.js` the container engines, loaded only by commands that use one.
// Each bundle holds the parts of core it uses; state that must be one per process is kept on globalThis by core.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync("package.json", "utf8"));

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  conditions: ["@qus/source"],
  minifySyntax: true,
  sourcemap: "linked",
  banner: {
    js: "import { createRequire as __qusRequire } from 'node:module'; const require = __qusRequire(import.meta.url);",
  },
  define: { QUS_VERSION: JSON.stringify(version) },
  logLevel: "warning",
};

await Promise.all([
  build({
    ...common,
    entryPoints: ["src/main.ts"],
    outfile: "dist/qus.js",
    // Loaded on demand: the engines' bundle beside this one, and @qus/buildx (by `qus buildx` only) and @qus/gitlab
    // (by `qus gitlab` only) @qus/k8s (by `qus k8s` only) and @qus/vm (by `qus vm` only) from node_modules, so no other command parses them at start-up.
    external: ["@qus/buildx", "@qus/gitlab", "@qus/k8s", "@qus/vm", "./engines.js"],
  }),
  build({ ...common, entryPoints: ["src/engines.ts"], outfile: "dist/engines.js" }),
]);
