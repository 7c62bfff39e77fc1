#!/usr/bin/env node
// Benchmark of `qus buildx`: what does a builder proven for 3 platforms cost next to building, without qus, the
// same 3 images that prove them?
//
// Measures the wall time of two commands, each a fresh process, timed around spawnSync:
//   bare   3 sequential `docker buildx build --no-cache` (one `sh` script), one per platform, of the image qus
//          proves a platform with (packages/buildx/src/prove.ts): `FROM scratch`, `COPY probe /probe`,
//          `RUN ["/probe"]`, the probe made by @qus/core's `buildProbe`, built with the flags of qus's proof builds
//          (`--builder B --platform P --no-cache --progress plain --output type=cacheonly`); the floor: what a CI
//          job pays to find out by building that the 3 platforms work
//   qus    `qus buildx --platforms <3>` on the engine's own builder (the docker driver, the default) when binfmt is
//          already set up: engine check, no-op ensure on the engine's kernel (one helper container), bootstrap,
//          and the 3 proof builds
// Runs are interleaved round-robin (the order rotating each round) so drift hits both alike, after 2 warm-up
// rounds. Reports median and p90 and checks one goal: `qus` within 1.0x of `bare`. It reports, it doesn't judge:
// the exit code is 0 whether the goal is met or not, and 1 only when a command fails (or the set-up cannot be made).
// The set-up may register the 3 platforms' entries on the engine's kernel (this machine's, with a local engine);
// entries it registered are removed again at the end, so binfmt_misc's table is left as it was found.
//
// Usage: npm run bench:buildx [-- --runs N] [-- --json]      (as root, with the default installer image, QUS_IMAGE, on the engine: qus image build)

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { resolvePlatforms } from "@qus/core";
import { buildProbe } from "@qus/core/runner";
import { defaultInstallerImage } from "@qus/core/toolkit";
import {
  benchOptions,
  binfmtEntries,
  fail,
  measure,
  mustRun,
  ratiosOf,
  removeAddedEntries,
  report,
  run,
} from "./harness.mjs";

const { runs, json } = benchOptions(5);
// The installer image ensure takes by default (QUS_IMAGE from the environment, else core's reference).
const IMAGE = defaultInstallerImage();
const PLATFORMS = ["linux/arm64", "linux/riscv64", "linux/s390x"];
const QUS = fileURLToPath(new URL("../../packages/cli/bin/qus.js", import.meta.url));
const node = process.execPath;
const BUILDX = [node, QUS, "buildx", "--platforms", PLATFORMS.join(",")];
// The Dockerfile of qus's proof builds (PROOF_DOCKERFILE in packages/buildx/src/prove.ts).
const DOCKERFILE = 'FROM scratch\nCOPY probe /probe\nRUN ["/probe"]\n';

// Set-up: the installer image must be there (qus never pulls it), and binfmt set up, so `qus` ensures a no-op.
mustRun(["docker", "image", "inspect", "--format", "{{.Id}}", IMAGE], `${IMAGE} on the engine (qus image build?)`);
const found = binfmtEntries();
process.on("exit", () => removeAddedEntries(found));
const setup = JSON.parse(mustRun([...BUILDX, "--json"], "qus buildx before timing").stdout);
const builder = setup.builder;
if (!/^[a-zA-Z][\w.-]*$/.test(builder)) fail(`unexpected builder name ${JSON.stringify(builder)}`);

// `bare`: one build context per platform, with that platform's probe, and a script that builds them in turn.
const tmp = mkdtempSync(join(tmpdir(), "qus-bench-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
const lines = resolvePlatforms(PLATFORMS).map((target, i) => {
  const context = join(tmp, `context-${i}`);
  mkdirSync(context);
  writeFileSync(join(context, "Dockerfile"), DOCKERFILE);
  writeFileSync(join(context, "probe"), buildProbe(target.cpu));
  chmodSync(join(context, "probe"), 0o755);
  const args = ["--builder", builder, "--platform", PLATFORMS[i], "--no-cache", "--progress", "plain"];
  return `docker buildx build ${args.join(" ")} --output type=cacheonly ${context}`;
});
if (lines.length !== PLATFORMS.length) fail(`expected ${PLATFORMS.length} targets, got ${lines.length}`);
const script = join(tmp, "bare.sh");
writeFileSync(script, `set -e\n${lines.join("\n")}\n`);
mustRun(["sh", script], "the bare builds before timing");

const stats = measure(
  [
    { name: "bare", argv: ["sh", script] },
    { name: "qus", argv: BUILDX },
  ],
  runs,
);
const ratios = ratiosOf(stats, [["qus", "bare"]]);
const engine = json ? run(["docker", "version", "--format", "{{.Server.Version}}"]).stdout.trim() : "";
report({
  json,
  runs,
  meta: { engine: engine || undefined, builder, driver: setup.driver, platforms: PLATFORMS },
  stats,
  ratios,
  goals: [
    {
      goal: "qus buildx of 3 platforms within 1.0x of 3 bare sequential docker buildx build --no-cache",
      ratio: ratios["qus/bare"],
      limit: 1,
    },
  ],
});
