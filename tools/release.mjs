#!/usr/bin/env node
// The release check: builds every package, then for each public one checks what would be published: publint
// (package.json against the files), Are the Types Wrong (its types as TypeScript resolves them under node16 and
// bundlers; ESM-only packages), and `npm publish --dry-run` (what the tarball holds). Publishes nothing: after it
// passes, `npx changeset publish` does, from a machine with the registry's credentials (README: Releases).
//
// Usage: npm run release      Exit 0 when every package passes, 1 naming those that do not.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => join(root, "node_modules", ".bin", name);

/** Runs one command (argv array) in `cwd`, printing its output; true when it exits 0. */
function step(what, argv, cwd = root) {
  console.log(`\n$ ${argv.join(" ")}   # ${what}`);
  const result = spawnSync(argv[0], argv.slice(1), { cwd, stdio: "inherit", timeout: 600_000 });
  if (result.error) console.error(`release: could not run ${argv[0]}: ${result.error.message}`);
  return result.status === 0;
}

const packages = readdirSync(join(root, "packages"))
  .map((dir) => ({
    dir: join(root, "packages", dir),
    json: JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")),
  }))
  .filter(({ json }) => !json.private);

if (!step("build every package", ["npm", "run", "build"])) process.exit(1);

const failed = [];
for (const { dir, json } of packages) {
  const name = `${json.name}@${json.version}`;
  const checks = [
    ["publint", [bin("publint"), dir]],
    // A package without an import entry (the CLI: a command only) has no types to check.
    ...(json.exports
      ? [["types", [bin("attw"), "--pack", dir, "--profile", "esm-only", "--format", "ascii", "--no-emoji"]]]
      : []),
    ["publish --dry-run", ["npm", "publish", "--dry-run", "--access", "public", "--workspace", json.name]],
  ];
  for (const [what, argv] of checks) if (!step(`${name}: ${what}`, argv)) failed.push(`${name} (${what})`);
}

console.log("");
if (failed.length > 0) {
  console.error(`release: not ready: ${failed.join(", ")}`);
  process.exit(1);
}
console.log(`release: ready: ${packages.map(({ json }) => `${json.name}@${json.version}`).join(", ")}`);
