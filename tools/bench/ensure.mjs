#!/usr/bin/env node
// Start-up benchmark of the qus CLI: is `qus` cheap enough to run at the top of every CI job?
//
// Measures the wall time of four commands, each a fresh process, timed around spawnSync:
//   node        `node -e 0`: the floor, what starting the same node binary costs at all
//   status      `qus status`: read-only, all platforms (reads binfmt_misc, finds interpreters, asks their versions)
//   ensure      `qus ensure --platforms <7>` when all 7 are already registered: the no-op every CI run pays,
//               including the verification (one chrooted probe per platform)
//   shell-loop  `sh <script>`: what a naive, unverified installer does on a no-op: for each entry,
//               `[ -e <entry> ] || printf ... > register`; the cheapest conceivable "ensure"
// Runs are interleaved round-robin (the order rotating each round) so drift hits every command alike,
// after 2 warm-up rounds. Reports median and p90 and checks two goals against `node -e 0`:
// `qus status` within 2x, no-op `qus ensure` within 3x. It reports, it doesn't judge: the exit code is 0
// whether goals are met or not, and 1 only when a command fails (or the set-up cannot be made).
//
// Usage: npm run bench [-- --runs N] [-- --json]      (as root, with qemu-user-static installed)

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({ options: { runs: { type: "string", default: "20" }, json: { type: "boolean" } } });
const RUNS = Number(opts.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) fail(`--runs must be a positive integer, got ${opts.runs}`);
const WARMUP = 2;
const PLATFORMS = "linux/arm64,linux/arm/v7,linux/ppc64le,linux/s390x,linux/riscv64,linux/mips64le,linux/loong64";
const QUS = fileURLToPath(new URL("../../packages/cli/bin/qus.js", import.meta.url));
const BINFMT = "/proc/sys/fs/binfmt_misc";
const node = process.execPath;

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

function run(file, args) {
  return spawnSync(file, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 16 << 20 });
}

function describe(result) {
  if (result.error) return `could not start: ${result.error.message}`;
  if (result.signal) return `killed by ${result.signal}`;
  return `exit ${result.status}\n${result.stdout}${result.stderr}`.trim();
}

// Set-up: make sure the 7 platforms are registered, so the timed ensure is a no-op.
const setup = run(node, [QUS, "ensure", "--platforms", PLATFORMS]);
if (setup.status !== 0)
  fail(`qus ensure --platforms ${PLATFORMS} must exit 0 before timing (root? qemu-user-static?):\n${describe(setup)}`);

// The shell baseline writes the very register strings qus would, taken from `qus persist --dry-run`.
const persist = run(node, [QUS, "persist", "--platforms", PLATFORMS, "--dry-run"]);
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

// `ok` says which exit codes mean the command worked: `qus status` exits 1 when some of all 15 platforms are
// not set up on this machine, which is its report, not a failure.
const commands = [
  { name: "node", argv: [node, "-e", "0"], ok: [0] },
  { name: "status", argv: [node, QUS, "status"], ok: [0, 1] },
  { name: "ensure", argv: [node, QUS, "ensure", "--platforms", PLATFORMS], ok: [0] },
  { name: "shell-loop", argv: ["sh", script], ok: [0] },
].map((command) => ({ ...command, samples: [] }));

for (let round = 0; round < WARMUP + RUNS; round++) {
  for (let i = 0; i < commands.length; i++) {
    const command = commands[(round + i) % commands.length];
    const start = process.hrtime.bigint();
    const result = run(command.argv[0], command.argv.slice(1));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.error || result.signal || !command.ok.includes(result.status)) {
      fail(`${command.name} failed (${command.argv.join(" ")}):\n${describe(result)}`);
    }
    if (round >= WARMUP) command.samples.push(Math.round(ms * 1000) / 1000);
  }
}

const quantile = (samples, q) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q; // linear interpolation between closest ranks
  return sorted[Math.floor(at)] + (sorted[Math.ceil(at)] - sorted[Math.floor(at)]) * (at - Math.floor(at));
};
const round = (n) => Math.round(n * 1000) / 1000;
const stats = Object.fromEntries(
  commands.map(({ name, argv, samples }) => [
    name,
    { argv, medianMs: round(quantile(samples, 0.5)), p90Ms: round(quantile(samples, 0.9)), samplesMs: samples },
  ]),
);
const ratio = (a, b) => stats[a].medianMs / stats[b].medianMs;
const ratios = {
  "status/node": ratio("status", "node"),
  "ensure/node": ratio("ensure", "node"),
  "ensure/shell-loop": ratio("ensure", "shell-loop"),
};
const goals = [
  { goal: "qus status within 2x of node -e 0", ratio: ratios["status/node"], limit: 2 },
  { goal: "no-op qus ensure within 3x of node -e 0", ratio: ratios["ensure/node"], limit: 3 },
].map((goal) => ({ ...goal, met: goal.ratio <= goal.limit }));

if (opts.json) {
  console.log(
    JSON.stringify(
      {
        node: process.version,
        runs: RUNS,
        warmup: WARMUP,
        platforms: PLATFORMS.split(","),
        commands: stats,
        ratios,
        goals,
      },
      null,
      2,
    ),
  );
} else {
  const fmt = (n) => n.toFixed(1).padStart(11);
  console.log(
    `node ${process.version}, ${RUNS} runs each after ${WARMUP} warm-up runs, interleaved; medians in ratios\n`,
  );
  console.log(`${"command".padEnd(12)}${"median ms".padStart(11)}${"p90 ms".padStart(11)}`);
  for (const [name, s] of Object.entries(stats)) console.log(`${name.padEnd(12)}${fmt(s.medianMs)}${fmt(s.p90Ms)}`);
  console.log("");
  for (const [name, value] of Object.entries(ratios)) console.log(`${name.padEnd(19)}${value.toFixed(2).padStart(6)}x`);
  console.log("");
  for (const g of goals) console.log(`goal: ${g.goal}: ${g.ratio.toFixed(2)}x, ${g.met ? "met" : "NOT met"}`);
}
