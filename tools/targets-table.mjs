#!/usr/bin/env node
// Print README.md's "Targets" table from the target table (packages/core/dist: run `npm run build` first).
// Usage: node tools/targets-table.mjs   (paste the output between the README's table markers)
//
// "Proven here" is what e2e/targets.kernel.test.ts asserts on the kind of machine it runs on (Debian 12, x86_64,
// Debian's qemu-user-static): every target whose emulator /usr/bin/qemu-<cpu>-static is installed is registered and
// its probe runs, x86_64 is native. "Real binary" names the Debian architectures whose busybox-static header
// (packages/core/test-fixtures/elf-headers/) the target's magic is checked against.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const core = await import(join(repo, "packages", "core", "dist", "index.js"));
const { TARGETS, interpreterBase } = core;

const headers = new Set(
  readdirSync(join(repo, "packages", "core", "test-fixtures", "elf-headers"))
    .filter((file) => file.endsWith(".txt"))
    .map((file) => file.replace(/\.txt$/, "")),
);
// armel programs run on the arm target (whose debianArch is armhf).
const realBinaries = (target) =>
  [target.debianArch, ...(target.cpu === "arm" ? ["armel"] : [])].filter((arch) => arch && headers.has(arch));

const code = (text) => `\`${text}\``;
const rows = TARGETS.map((target) => {
  const platforms = target.platforms.map(code).join(", ");
  const names = target.aliases.filter((alias) => !target.platforms.includes(`linux/${alias}`)).map(code);
  const emulator = `${interpreterBase(target)}-static`;
  const debian = target.debianArch ? `${code(target.debianArch)}${target.debianPorts ? " (Ports)" : ""}` : "-";
  // i386 and i486: native where the x86_64 kernel runs 32-bit programs, registered and proven where it does not.
  const compat = (target.compatOf ?? []).some((mode) => mode.host === "x86_64") ? "native or yes" : "yes";
  const proven =
    target.cpu === "x86_64" ? "native" : existsSync(`/usr/bin/${emulator}`) ? compat : "no emulator installed";
  const real = realBinaries(target);
  return `| ${code(target.cpu)} | ${platforms} | ${names.join(", ")} | ${code(emulator)} | ${debian} | ${proven} | ${real.length > 0 ? real.map(code).join(", ") : "-"} |`;
});

console.log(
  "| QEMU cpu | platforms | also written | emulator (Debian: qemu-user-static) | Debian arch | proven here | real binary |",
);
console.log("|---|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
console.log(
  `\n${TARGETS.length} targets, in the order \`all\` lists them; the first platform of each is its canonical name.`,
);
