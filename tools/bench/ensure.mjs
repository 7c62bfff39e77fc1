#!/usr/bin/env node
// Start-up benchmark of the qus CLI: is `qus` cheap enough to run at the top of every CI job?
//
// Measures the wall time of four commands, each a fresh process, timed around spawnSync:
//   node        `node -e 0`: the floor, what starting the same node binary costs at all
//   status      `qus status`: read-only, all platforms (reads binfmt_misc, finds interpreters, asks their versions)
//   ensure      `qus ensure --platforms <7>` when all 7 are already registered: the no-op every CI run pays,
//               including the verification (one chrooted probe per platform)
//   floor       `node -e 0` plus the raw chrooted run of the same 7 probes (see ensure-all.mjs): what a verified
//               no-op costs at the least, to show how much of `ensure` is qus's own
//   shell-loop  `sh <script>`: what a naive, unverified installer does on a no-op: for each entry,
//               `[ -e <entry> ] || printf ... > register`; the cheapest conceivable "ensure"
// Runs are interleaved round-robin (the order rotating each round) so drift hits every command alike,
// after 2 warm-up rounds. Reports median and p90 and checks two goals against `node -e 0`:
// `qus status` within 1.5x, no-op `qus ensure` within 2.5x. It reports, it doesn't judge: the exit code is 0
// whether goals are met or not, and 1 only when a command fails (or the set-up cannot be made).
//
// Usage: npm run bench [-- --runs N] [-- --json]      (as root, with qemu-user-static installed)

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchOptions, describe, fail, measure, probeBaselines, ratiosOf, report, run } from "./harness.mjs";

const { runs, json } = benchOptions(20);
const PLATFORMS = "linux/arm64,linux/arm/v7,linux/ppc64le,linux/s390x,linux/riscv64,linux/mips64le,linux/loong64";
const CPUS = ["aarch64", "arm", "ppc64le", "s390x", "riscv64", "mips64el", "loongarch64"];
const QUS = fileURLToPath(new URL("../../packages/cli/bin/qus.js", import.meta.url));
const BINFMT = "/proc/sys/fs/binfmt_misc";
const node = process.execPath;

// Set-up: make sure the 7 platforms are registered, so the timed ensure is a no-op.
const setup = run([node, QUS, "ensure", "--platforms", PLATFORMS]);
if (setup.status !== 0)
  fail(`qus ensure --platforms ${PLATFORMS} must exit 0 before timing (root? qemu-user-static?):\n${describe(setup)}`);

// The shell baseline writes the very register strings qus would, taken from `qus persist --dry-run`.
const persist = run([node, QUS, "persist", "--platforms", PLATFORMS, "--dry-run"]);
if (persist.status !== 0) fail(`qus persist --dry-run failed:\n${describe(persist)}`);
const registers = persist.stdout.split("\n").filter((line) => line.startsWith(":"));
if (registers.length !== 7) fail(`expected 7 register strings from qus persist --dry-run, got ${registers.length}`);
const tmp = mkdtempSync(join(tmpdir(), "qus-bench-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
const script = join(tmp, "register.sh");
const lines = registers.map((register) => {
  const name = register.split(":")[1];
  if (!/^[\w.-]+$/.test(name) || register.includes("'")) fail(`cannot quote register string safely: ${register}`);
  return `[ -e ${BINFMT}/${name} ] || printf '%s' '${register}' > ${BINFMT}/register`;
});
writeFileSync(script, `${lines.join("\n")}\n`);
const { floor } = probeBaselines(CPUS);

// `ok` says which exit codes mean the command worked: `qus status` exits 1 when some of all 15 platforms are
// not set up on this machine, which is its report, not a failure.
const stats = measure(
  [
    { name: "node", argv: [node, "-e", "0"] },
    { name: "status", argv: [node, QUS, "status"], ok: [0, 1] },
    { name: "ensure", argv: [node, QUS, "ensure", "--platforms", PLATFORMS] },
    { name: "floor", argv: floor },
    { name: "shell-loop", argv: ["sh", script] },
  ],
  runs,
);
const ratios = ratiosOf(stats, [
  ["status", "node"],
  ["ensure", "node"],
  ["floor", "node"],
  ["ensure", "floor"],
  ["ensure", "shell-loop"],
]);
report({
  json,
  runs,
  meta: { platforms: PLATFORMS.split(",") },
  stats,
  ratios,
  goals: [
    { goal: "qus status within 1.5x of node -e 0", ratio: ratios["status/node"], limit: 1.5 },
    { goal: "no-op qus ensure within 2.5x of node -e 0", ratio: ratios["ensure/node"], limit: 2.5 },
  ],
});
