// Bundles the CLI with @qus/core: `dist/qus.js` holds what every command needs (few modules to load keep `qus`
// start-up close to bare node); `dist/engines.js` (the container engines) and `dist/chunks/` are loaded only by the
// commands that use them. State that must be one per process is kept on globalThis by core.
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

// Modules a command imports dynamically from `src/lazy/` are bundles of their own beside qus.js (so no other command
// parses them at start-up); each bundle holds the parts of core it uses.
const LAZY = ["explain", "qemu-fetch"];
const lazyExternal = {
  name: "lazy-external",
  setup(build) {
    build.onResolve({ filter: /(^|\/)lazy\/[a-z-]+\.js$/ }, (args) => ({
      path: `./${args.path.split("/").pop()}`,
      external: true,
    }));
    // Core loads its QEMU fetcher only for --qemu-from: the same module as the lazy qemu-fetch bundle.
    build.onResolve({ filter: /\/qemu\/fetch\.js$/ }, (args) =>
      args.kind === "dynamic-import" ? { path: "./qemu-fetch.js", external: true } : undefined,
    );
  },
};

await Promise.all([
  build({
    ...common,
    entryPoints: ["src/main.ts"],
    outfile: "dist/qus.js",
    plugins: [lazyExternal],
    // Loaded on demand: the engines' bundle and the lazy ones beside this one, and @qus/buildx (by `qus buildx` only),
    // @qus/gitlab (by `qus gitlab` only), @qus/k8s (by `qus k8s` only) and @qus/vm (by `qus vm` only) from node_modules.
    external: ["@qus/buildx", "@qus/gitlab", "@qus/k8s", "@qus/vm", "./engines.js"],
  }),
  build({ ...common, entryPoints: ["src/engines.ts"], outfile: "dist/engines.js" }),
  ...LAZY.map((name) => build({ ...common, entryPoints: [`src/lazy/${name}.ts`], outfile: `dist/${name}.js` })),
]);
