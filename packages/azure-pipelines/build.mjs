// Builds the task and its extension.
// 1. Bundles the task into task/dist, the folder the agent runs as it is (nothing is installed there): index.js (the
//    main execution), post.js (the post-job execution) and qus.js (the CLI the local driver runs through sudo), each
//    one CommonJS file with everything it uses, azure-pipelines-task-lib included (its 5.x messages are compiled into
//    its lib-resource.js, so no resource file needs copying). The Node20_1 handler runs Node 20, hence the target.
// 2. Checks task.json as tfx-cli does (its id, name, handlers, and that each handler's target exists: tfx itself only
//    warns), then packs the extension, dist/qus.qus-<version>.vsix, with tfx-cli (offline, about a second).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync("../cli/package.json", "utf8"));

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  conditions: ["@qus/source"],
  minifySyntax: true,
  legalComments: "none",
  // ES module code asks import.meta.url where it lies (the CLI's folder for --version, a package.json beside it):
  // in these CommonJS bundles that is the bundle's own file.
  banner: { js: 'const __qusImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { QUS_VERSION: JSON.stringify(version), "import.meta.url": "__qusImportMetaUrl" },
  logLevel: "warning",
};

rmSync("task/dist", { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: ["src/index.ts"], outfile: "task/dist/index.js" }),
  build({ ...common, entryPoints: ["src/post.ts"], outfile: "task/dist/post.js" }),
  build({ ...common, entryPoints: ["src/cli.ts"], outfile: "task/dist/qus.js" }),
]);
// This package is "type": "module"; the bundles are CommonJS, in the repository and in the extension alike.
writeFileSync("task/dist/package.json", `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);

const require = createRequire(import.meta.url);
require("tfx-cli/_build/lib/jsonvalidate.js").validate(resolve("task/task.json"), "task/task.json is missing");

if (!process.argv.includes("--no-vsix")) {
  rmSync("dist", { recursive: true, force: true });
  const tfx = require.resolve("tfx-cli/_build/tfx-cli.js");
  const args = ["extension", "create", "--manifest-globs", "vss-extension.json", "--output-path", "dist/"];
  const packed = spawnSync(process.execPath, [tfx, ...args, "--no-prompt", "--no-color"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  if (packed.status !== 0) {
    process.stderr.write(`${packed.stdout}${packed.stderr}${packed.error ? `${packed.error}\n` : ""}`);
    throw new Error(`tfx ${args.join(" ")} failed (status ${packed.status ?? packed.signal})`);
  }
}
