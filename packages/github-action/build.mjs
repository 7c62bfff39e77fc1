// Bundles the action into dist/ (`npm run bundle -w @qus/github-action`), which is committed: a runner checks the action out and starts `node dist/main.js`
// (and later `node dist/post.js`) with no node_modules, so each file holds everything it uses. dist/qus.js is the
// qus CLI, which the local driver runs through `sudo -n` when the job is not root.
// `node build.mjs --outdir DIR` builds elsewhere with the same options (src/dist.test.ts compares the two).
// The output is the same bytes for the same sources: no timestamps, no source maps, paths relative to this folder.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist" } } });
const here = dirname(fileURLToPath(import.meta.url));
const { version } = JSON.parse(readFileSync(new URL("../cli/package.json", import.meta.url), "utf8"));

await build({
  absWorkingDir: here,
  entryPoints: [
    { in: "src/bin/main.ts", out: "main" },
    { in: "src/bin/post.ts", out: "post" },
    { in: "src/cli.ts", out: "qus" },
  ],
  outdir: values.outdir,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  // Workspace packages bundle from their sources, so dist/ never depends on their own builds being fresh.
  conditions: ["@qus/source"],
  minifySyntax: true,
  sourcemap: false,
  banner: {
    js: "import { createRequire as __qusRequire } from 'node:module'; const require = __qusRequire(import.meta.url);",
  },
  define: { QUS_VERSION: JSON.stringify(version) },
  logLevel: "warning",
});
