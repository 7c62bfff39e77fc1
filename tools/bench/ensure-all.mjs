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

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildProbe } from "@qus/core";
import {
  benchOptions,
  binfmtEntries,
  describe,
  fail,
  measure,
  mustRun,
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
for (const cpu of cpus) if (!/^[\w-]+$/.test(cpu)) fail(`unexpected cpu name ${JSON.stringify(cpu)}`);

// `probes`: the probes written once, to a folder of their own, and a list of them for xargs.
const tmp = mkdtempSync(join(tmpdir(), "qus-bench-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
const probeDir = join(tmp, "probes");
writeFileSync(join(tmp, "list"), `${cpus.map((cpu) => `/${cpu}`).join("\n")}\n`);
mkdirSync(probeDir);
chmodSync(probeDir, 0o755); // as qus makes its own: the chroot's root must be searchable
for (const cpu of cpus) writeFileSync(join(probeDir, cpu), buildProbe(cpu), { mode: 0o755 });
const RAW = ["xargs", "-a", join(tmp, "list"), "-P", String(cpus.length), "-n", "1", "chroot", probeDir];

// `floor`: the same in one `node -e`, from writing the probes to removing them. Built-ins only, no module to load.
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
const FLOOR = [node, "-e", floorScript];
// Both baselines must really run the probes: fail now rather than time a failure.
mustRun(RAW, "the raw chrooted run of the probes");
mustRun(FLOOR, "the floor (node -e writing and chroot-running the probes)");

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
