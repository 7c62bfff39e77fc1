#!/usr/bin/env node
// Writes @qus/core's package version into packages/core/src/version.ts (QUS_VERSION, the default installer image's
// tag), so the two never differ. Run by the root `version` script right after `changeset version` bumps it.
//
// Usage: node tools/write-core-version.mjs      Prints the version written.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const core = fileURLToPath(new URL("../packages/core/", import.meta.url));
const { version } = JSON.parse(readFileSync(`${core}package.json`, "utf8"));
const file = `${core}src/version.ts`;
const text = readFileSync(file, "utf8");
const next = text.replace(
  /export const QUS_VERSION = "[^"]*";/,
  `export const QUS_VERSION = ${JSON.stringify(version)};`,
);
if (!next.includes(`QUS_VERSION = ${JSON.stringify(version)}`)) {
  console.error(`write-core-version: no QUS_VERSION line in ${file}`);
  process.exit(1);
}
if (next !== text) writeFileSync(file, next);
console.log(`QUS_VERSION = ${version}`);
