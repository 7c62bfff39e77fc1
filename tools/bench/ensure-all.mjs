#!/usr/bin/env node
// Benchmark of a no-op `qus ensure --platforms all`: how much does qus add to the work that cannot be skipped?
//
// Measures the wall time of four commands, each a fresh process, timed around spawnSync:
//   node        `node -e 0`: what starting the same node binary costs at all
//   probes      the raw chrooted run of the same probes, already written to a folder: `xargs -P N -n 1 chroot DIR`
//               over `/<cpu>`, as qus runs them (packages/core/src/drivers/local/probes.ts); no node at all
//   floor       `node -e 0` plus the raw chrooted run: one `node -e` that writes the probes (made by @qus/core's
//               `buildProbe`, embedded in its script) to a fresh folder, runs them chrooted as `probes` does and
//               removes the folder; what qus must do at the least for a verified no-op
//   ensure-all  `qus ensure --platforms all` when every platform is already registered: the no-op, verified
//               (one chrooted probe for each emulated platform)
// The probes are those of every platform `qus status --platforms all` does not report native, i.e. those qus
// itself probes. Runs are interleaved round-robin (the order rotating each round) so drift hits every command
// alike, after 2 warm-up rounds. Reports median and p90 and checks one goal: `ensure-all` within 1.25x of `floor`.
// It reports, it doesn't judge: the exit code is 0 whether the goal is met or not, and 1 only when a command fails
// (or the set-up cannot be made). The set-up registers what is missing (so the timed ensure is a no-op); entries
// it registered are removed again at the end, so binfmt_misc's table is left as it was found.
//
// Usage: npm run bench:ensure-all [-- --runs N] [-- --json]      (as root, with qemu-user-static installed)

import { fileURLToPath } from "node:url";
import {
  benchOptions,
  binfmtEntries,
  describe,
  fail,
  measure,
  mustRun,
  probeBaselines,
  ratiosOf,
  removeAddedEntries,
  report,
  run,
} from "./harness.mjs";

const { runs, json } = benchOptions(20);
const QUS = fileURLToPath(new URL("../../packages/cli/bin/qus.js", import.meta.url));
const node = process.execPath;
const ENSURE = [node, QUS, "ensure", "--platforms", "all"];

// Set-up: every platform registered, so the timed ensure is a no-op; what this registers is removed at the end.
const found = binfmtEntries();
process.on("exit", () => removeAddedEntries(found));
mustRun(ENSURE, "qus ensure --platforms all before timing (root? qemu-user-static?)");

// The cpus qus probes: every platform of `all` that is not native here.
const status = run([node, QUS, "status", "--platforms", "all", "--json"]);
if (status.error || status.signal || status.stdout.trim() === "")
  fail(`qus status --json failed:\n${describe(status)}`);
const cpus = JSON.parse(status.stdout)
  .platforms.filter((p) => p.before !== "native")
  .map((p) => p.cpu);
if (cpus.length === 0) fail("qus status reports no emulated platform: nothing to probe");

const { raw: RAW, floor: FLOOR } = probeBaselines(cpus);

const stats = measure(
  [
    { name: "node", argv: [node, "-e", "0"] },
    { name: "probes", argv: RAW },
    { name: "floor", argv: FLOOR },
    { name: "ensure-all", argv: ENSURE },
  ],
  runs,
);
const ratios = ratiosOf(stats, [
  ["ensure-all", "floor"],
  ["ensure-all", "node"],
  ["floor", "node"],
  ["probes", "node"],
]);
report({
  json,
  runs,
  meta: { cpus },
  stats,
  ratios,
  goals: [
    {
      goal: "no-op qus ensure --platforms all within 1.25x of its floor (node -e 0 + the chrooted probes)",
      ratio: ratios["ensure-all/floor"],
      limit: 1.25,
    },
  ],
});
