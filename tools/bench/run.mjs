#!/usr/bin/env node
// Benchmark of rootless emulation: what does `qus run` cost over a foreign program the machine already runs?
//
// Measures the wall time of three commands, each a fresh process, timed around spawnSync:
//   node     `node -e 0`: the floor, what starting the same node binary costs at all
//   direct   `./busybox-arm64 true` with arm64 registered rootfully in the host's table (qus ensure, done first)
//   run      `qus run --platforms arm64 -- ./busybox-arm64 true`: a user and mount namespace, a binfmt_misc of its
//            own, the registration, the probe, then the same program
// Runs are interleaved round-robin after 2 warm-up rounds; it reports median and p90, the ratios run/direct and
// run/node, and checks one goal: `qus run` within 2.5x of `node -e 0` (as a no-op `qus ensure`). It reports, it
// doesn't judge: exit 0 whether the goal is met or not, 1 only when a command fails.
//
// Usage: npm run bench:run [-- --runs N] [-- --json]      (as root, with qemu-user-static installed and
// tools/fixtures/fetch-busybox.sh run; Linux 6.7+). Entries it registers in the host's table are removed after.

import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  benchOptions,
  binfmtEntries,
  describe,
  fail,
  measure,
  ratiosOf,
  removeAddedEntries,
  report,
  run,
} from "./harness.mjs";

const { runs, json } = benchOptions(20);
const QUS = fileURLToPath(new URL("../../packages/cli/bin/qus.js", import.meta.url));
const BUSYBOX = fileURLToPath(new URL("../fixtures/.cache/busybox/arm64/busybox", import.meta.url));
const node = process.execPath;

if (!existsSync(BUSYBOX)) fail(`${BUSYBOX} is missing: run tools/fixtures/fetch-busybox.sh`);
const tmp = mkdtempSync(join(tmpdir(), "qus-bench-run-"));
const found = binfmtEntries();
process.on("exit", () => {
  removeAddedEntries(found);
  rmSync(tmp, { recursive: true, force: true });
});
// Named busybox-*: busybox then takes its first argument as the applet.
const busybox = join(tmp, "busybox-arm64");
copyFileSync(BUSYBOX, busybox);

const setup = run([node, QUS, "ensure", "--platforms", "linux/arm64"]);
if (setup.status !== 0)
  fail(`qus ensure --platforms linux/arm64 must exit 0 before timing (root?):\n${describe(setup)}`);

const stats = measure(
  [
    { name: "node", argv: [node, "-e", "0"] },
    { name: "direct", argv: [busybox, "true"] },
    { name: "run", argv: [node, QUS, "run", "--platforms", "arm64", "--", busybox, "true"] },
  ],
  runs,
);
const ratios = ratiosOf(stats, [
  ["run", "direct"],
  ["run", "node"],
]);
report({
  json,
  runs,
  meta: { platforms: ["linux/arm64"] },
  stats,
  ratios,
  goals: [{ goal: "qus run within 2.5x of node -e 0", ratio: ratios["run/node"], limit: 2.5 }],
});
