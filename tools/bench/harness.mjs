// What the benchmarks share: options, running commands with argv arrays, interleaved timing, statistics and the
// report. Each benchmark only says which commands it compares and which goals it checks.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildProbe } from "@qus/core/runner";

const BINFMT = "/proc/sys/fs/binfmt_misc";

/** Names of binfmt_misc's entries now (empty when it is not mounted). */
export function binfmtEntries() {
  try {
    return readdirSync(BINFMT).filter((name) => name !== "register" && name !== "status");
  } catch {
    return [];
  }
}

/**
 * Removes the entries that are not in `found` (a {@link binfmtEntries} taken before the set-up): what the benchmark
 * registered, so the table is left as it was found. Never writes binfmt_misc's status file.
 */
export function removeAddedEntries(found) {
  for (const name of binfmtEntries()) {
    if (found.includes(name)) continue;
    try {
      writeFileSync(join(BINFMT, name), "-1");
    } catch (error) {
      console.error(`bench: could not remove binfmt_misc entry ${name} registered by this benchmark: ${error.message}`);
    }
  }
}

/** Warm-up rounds before the timed ones. */
export const WARMUP = 2;

/** `--runs N` (default `defaultRuns`), `--json`, and the benchmark's own `extra` options (parseArgs' shape). */
export function benchOptions(defaultRuns, extra = {}) {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: String(defaultRuns) }, json: { type: "boolean" }, ...extra },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a positive integer, got ${values.runs}`);
  return { ...values, runs, json: values.json === true };
}

export function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

/** Runs one command (argv array, never a shell string) to its end. */
export function run(argv) {
  return spawnSync(argv[0], argv.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    maxBuffer: 16 << 20,
  });
}

export function describe(result) {
  if (result.error) return `could not start: ${result.error.message}`;
  if (result.signal) return `killed by ${result.signal}`;
  return `exit ${result.status}\n${result.stdout}${result.stderr}`.trim();
}

/** Runs a command that must exit 0, or ends the benchmark saying what failed. */
export function mustRun(argv, what) {
  const result = run(argv);
  if (result.error || result.signal || result.status !== 0)
    fail(`${what} failed (${argv.join(" ")}):\n${describe(result)}`);
  return result;
}

/**
 * Times each command as a fresh process, round-robin with the order rotating each round, so drift hits every
 * command alike. A command is `{ name, argv, ok?: exit codes that mean it worked (default [0]), before?: argv run
 * untimed right before it }`. Returns median and p90 per command.
 */
export function measure(commands, runs) {
  const timed = commands.map((command) => ({ ok: [0], ...command, samples: [] }));
  for (let round = 0; round < WARMUP + runs; round++) {
    for (let i = 0; i < timed.length; i++) {
      const command = timed[(round + i) % timed.length];
      if (command.before) mustRun(command.before, `${command.name} set-up`);
      const start = process.hrtime.bigint();
      const result = run(command.argv);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.error || result.signal || !command.ok.includes(result.status)) {
        fail(`${command.name} failed (${command.argv.join(" ")}):\n${describe(result)}`);
      }
      if (round >= WARMUP) command.samples.push(roundMs(ms));
    }
  }
  return Object.fromEntries(
    timed.map(({ name, argv, samples }) => [
      name,
      { argv, medianMs: roundMs(quantile(samples, 0.5)), p90Ms: roundMs(quantile(samples, 0.9)), samplesMs: samples },
    ]),
  );
}

function quantile(samples, q) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q; // linear interpolation between closest ranks
  return sorted[Math.floor(at)] + (sorted[Math.ceil(at)] - sorted[Math.floor(at)]) * (at - Math.floor(at));
}

const roundMs = (n) => Math.round(n * 1000) / 1000;

/** Ratios of medians, named `a/b`, for each pair `[a, b]`. */
export function ratiosOf(stats, pairs) {
  return Object.fromEntries(pairs.map(([a, b]) => [`${a}/${b}`, stats[a].medianMs / stats[b].medianMs]));
}

/**
 * Prints the table, the ratios and each goal (`{ goal, ratio, limit }`) met or not; with `json`, one object with
 * `meta` merged in. It reports, it doesn't judge: the exit code stays 0 whether goals are met or not.
 */
export function report({ json, runs, meta, stats, ratios, goals }) {
  const judged = goals.map((goal) => ({ ...goal, met: goal.ratio <= goal.limit }));
  if (json) {
    console.log(
      JSON.stringify(
        { node: process.version, runs, warmup: WARMUP, ...meta, commands: stats, ratios, goals: judged },
        null,
        2,
      ),
    );
    return;
  }
  const fmt = (n) => n.toFixed(1).padStart(11);
  const nameWidth = Math.max(...Object.keys(stats).map((name) => name.length)) + 2;
  const ratioWidth = Math.max(...Object.keys(ratios).map((name) => name.length)) + 2;
  console.log(
    `node ${process.version}, ${runs} runs each after ${WARMUP} warm-up runs, interleaved; medians in ratios\n`,
  );
  console.log(`${"command".padEnd(nameWidth)}${"median ms".padStart(11)}${"p90 ms".padStart(11)}`);
  for (const [name, s] of Object.entries(stats))
    console.log(`${name.padEnd(nameWidth)}${fmt(s.medianMs)}${fmt(s.p90Ms)}`);
  console.log("");
  for (const [name, value] of Object.entries(ratios))
    console.log(`${name.padEnd(ratioWidth)}${value.toFixed(2).padStart(6)}x`);
  console.log("");
  for (const g of judged) console.log(`goal: ${g.goal}: ${g.ratio.toFixed(2)}x, ${g.met ? "met" : "NOT met"}`);
}

/**
 * The two baselines of a verified no-op: `raw`, the chrooted run of the probes of `cpus` (written once to a folder
 * of their own) as qus runs them, `xargs -P N -n 1 chroot DIR` over `/<cpu>`, no node at all; and `floor`, one
 * `node -e` (built-ins only) that writes the same probes to a fresh folder, runs them so and removes the folder:
 * what qus must do at the least. Both are run once here, so a benchmark never times a failure.
 */
export function probeBaselines(cpus) {
  for (const cpu of cpus) if (!/^[\w-]+$/.test(cpu)) fail(`unexpected cpu name ${JSON.stringify(cpu)}`);
  const tmp = mkdtempSync(join(tmpdir(), "qus-bench-"));
  process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
  const probeDir = join(tmp, "probes");
  writeFileSync(join(tmp, "list"), `${cpus.map((cpu) => `/${cpu}`).join("\n")}\n`);
  mkdirSync(probeDir);
  chmodSync(probeDir, 0o755); // as qus makes its own: the chroot's root must be searchable
  for (const cpu of cpus) writeFileSync(join(probeDir, cpu), buildProbe(cpu), { mode: 0o755 });
  const raw = ["xargs", "-a", join(tmp, "list"), "-P", String(cpus.length), "-n", "1", "chroot", probeDir];

  const probes = Object.fromEntries(cpus.map((cpu) => [cpu, Buffer.from(buildProbe(cpu)).toString("base64")]));
  const floorScript = `
const { mkdtempSync, chmodSync, writeFileSync, rmSync } = require("node:fs");
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");
const probes = ${JSON.stringify(probes)};
const dir = mkdtempSync(join(require("node:os").tmpdir(), "qus-bench-floor-"));
let status = 1;
try {
  chmodSync(dir, 0o755);
  for (const [cpu, base64] of Object.entries(probes)) writeFileSync(join(dir, cpu), Buffer.from(base64, "base64"), { mode: 0o755 });
  const names = Object.keys(probes);
  const result = spawnSync("xargs", ["-P", String(names.length), "-n", "1", "chroot", dir], {
    input: names.map((cpu) => "/" + cpu).join("\\n"),
    stdio: ["pipe", "inherit", "inherit"],
  });
  status = result.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
`;
  const floor = [process.execPath, "-e", floorScript];
  mustRun(raw, "the raw chrooted run of the probes");
  mustRun(floor, "the floor (node -e writing and chroot-running the probes)");
  return { raw, floor };
}
