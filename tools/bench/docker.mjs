#!/usr/bin/env node
// Benchmark of `qus ensure --driver docker`: what does proving QEMU on the engine's kernel cost next to the
// cheapest thing one can do with that engine at all, starting one container?
//
// Measures the wall time of three commands, each a fresh process, timed around spawnSync:
//   bare    `docker run --rm qus-binfmt:latest true`: the floor, one container of qus's installer image
//           (its entrypoint is /bin/busybox, so `true` is busybox's true)
//   noop    `qus ensure --driver docker --platforms <5>` when all 5 are already registered: the no-op every CI
//           run pays, including the verification (one chrooted probe per platform inside the helper container)
//   clean   the same ensure right after `qus remove --platforms <5>` (local driver, not timed): the first run on
//           a fresh machine, which registers all 5 and verifies them
// Runs are interleaved round-robin (the order rotating each round) so drift hits every command alike, after 2
// warm-up rounds. Reports median and p90 and checks one goal against `bare`: no-op ensure within 1.5x.
// It reports, it doesn't judge: the exit code is 0 whether the goal is met or not, and 1 only when a command
// fails (or the set-up cannot be made). It changes this kernel's binfmt_misc table (`clean` removes and
// registers the 5 qemu entries) and leaves the 5 registered; it never writes binfmt_misc's status file.
//
// Usage: npm run bench:docker [-- --runs N] [-- --json]      (as root, with qus-binfmt:latest on the engine)

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({ options: { runs: { type: "string", default: "10" }, json: { type: "boolean" } } });
const RUNS = Number(opts.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) fail(`--runs must be a positive integer, got ${opts.runs}`);
const WARMUP = 2;
const IMAGE = "qus-binfmt:latest";
const PLATFORMS = "linux/arm64,linux/riscv64,linux/s390x,linux/ppc64le,linux/arm/v7";
const QUS = fileURLToPath(new URL("../../packages/cli/bin/qus.js", import.meta.url));
const node = process.execPath;
const ENSURE = [node, QUS, "ensure", "--driver", "docker", "--platforms", PLATFORMS];
const REMOVE = [node, QUS, "remove", "--platforms", PLATFORMS];

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

function run(argv) {
  return spawnSync(argv[0], argv.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    maxBuffer: 16 << 20,
  });
}

function describe(result) {
  if (result.error) return `could not start: ${result.error.message}`;
  if (result.signal) return `killed by ${result.signal}`;
  return `exit ${result.status}\n${result.stdout}${result.stderr}`.trim();
}

function mustRun(argv, what) {
  const result = run(argv);
  if (result.error || result.signal || result.status !== 0)
    fail(`${what} failed (${argv.join(" ")}):\n${describe(result)}`);
  return result;
}

// Set-up: the image must be there (qus never pulls it), and the 5 platforms registered, so `noop` is one.
mustRun(["docker", "image", "inspect", "--format", "{{.Id}}", IMAGE], `${IMAGE} on the engine (qus image build?)`);
mustRun(ENSURE, "qus ensure --driver docker before timing");

// `before` runs untimed right before the timed command.
const commands = [
  { name: "bare", argv: ["docker", "run", "--rm", IMAGE, "true"] },
  { name: "noop", argv: ENSURE },
  { name: "clean", argv: ENSURE, before: REMOVE },
].map((command) => ({ ...command, samples: [] }));

for (let round = 0; round < WARMUP + RUNS; round++) {
  for (let i = 0; i < commands.length; i++) {
    const command = commands[(round + i) % commands.length];
    if (command.before) mustRun(command.before, `${command.name} set-up`);
    const start = process.hrtime.bigint();
    const result = run(command.argv);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.error || result.signal || result.status !== 0) {
      fail(`${command.name} failed (${command.argv.join(" ")}):\n${describe(result)}`);
    }
    if (round >= WARMUP) command.samples.push(Math.round(ms * 1000) / 1000);
  }
}
// `clean` may have run last: leave the 5 registered.
mustRun(ENSURE, "qus ensure --driver docker after timing");

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
const ratios = { "noop/bare": ratio("noop", "bare"), "clean/bare": ratio("clean", "bare") };
const goals = [
  {
    goal: "no-op qus ensure --driver docker within 1.5x of one bare container run",
    ratio: ratios["noop/bare"],
    limit: 1.5,
  },
].map((goal) => ({ ...goal, met: goal.ratio <= goal.limit }));

if (opts.json) {
  const version = run(["docker", "version", "--format", "{{.Server.Version}}"]).stdout.trim();
  console.log(
    JSON.stringify(
      {
        node: process.version,
        engine: version || undefined,
        image: IMAGE,
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
  console.log(`${"command".padEnd(8)}${"median ms".padStart(11)}${"p90 ms".padStart(11)}`);
  for (const [name, s] of Object.entries(stats)) console.log(`${name.padEnd(8)}${fmt(s.medianMs)}${fmt(s.p90Ms)}`);
  console.log("");
  for (const [name, value] of Object.entries(ratios)) console.log(`${name.padEnd(12)}${value.toFixed(2).padStart(6)}x`);
  console.log("");
  for (const g of goals) console.log(`goal: ${g.goal}: ${g.ratio.toFixed(2)}x, ${g.met ? "met" : "NOT met"}`);
}
