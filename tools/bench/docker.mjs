#!/usr/bin/env node
// Benchmark of `qus ensure --driver docker` (or `--driver podman` with `--engine podman`): what does proving QEMU
// on the engine's kernel cost next to the cheapest thing one can do with that engine at all, starting one container?
//
// Measures the wall time of three commands, each a fresh process, timed around spawnSync:
//   bare    `docker run --rm --entrypoint /bin/busybox QUS_IMAGE true` (`podman run` with --engine podman): the
//           floor, one container of qus's installer image running busybox's true (its entrypoint is the installer)
//   noop    `qus ensure --driver docker --platforms <5>` when all 5 are already registered: the no-op every CI
//           run pays, including the verification (one chrooted probe per platform inside the helper container)
//   clean   the same ensure right after `qus remove --platforms <5>` (local driver, not timed): the first run on
//           a fresh machine, which registers all 5 and verifies them
// Runs are interleaved round-robin (the order rotating each round) so drift hits every command alike, after 2
// warm-up rounds. Reports median and p90 and checks one goal against `bare`: no-op ensure within 1.2x.
// It reports, it doesn't judge: the exit code is 0 whether the goal is met or not, and 1 only when a command
// fails (or the set-up cannot be made). It changes this kernel's binfmt_misc table (`clean` removes and
// registers the 5 qemu entries) and leaves the 5 registered; it never writes binfmt_misc's status file.
//
// Usage: npm run bench:docker [-- --runs N] [-- --json] [-- --engine podman]
//        (as root, with the default installer image, QUS_IMAGE, on the engine: qus image build [--driver podman])

import { fileURLToPath } from "node:url";
import { defaultInstallerImage } from "@qus/core/toolkit";
import { benchOptions, fail, measure, mustRun, ratiosOf, report, run } from "./harness.mjs";

const { runs, json, engine: ENGINE } = benchOptions(10, { engine: { type: "string", default: "docker" } });
if (ENGINE !== "docker" && ENGINE !== "podman") fail(`--engine must be docker or podman, got ${ENGINE}`);
// The installer image ensure takes by default (QUS_IMAGE from the environment, else core's reference).
const IMAGE = defaultInstallerImage();
const PLATFORMS = "linux/arm64,linux/riscv64,linux/s390x,linux/ppc64le,linux/arm/v7";
const QUS = fileURLToPath(new URL("../../packages/cli/bin/qus.js", import.meta.url));
const node = process.execPath;
const ENSURE = [node, QUS, "ensure", "--driver", ENGINE, "--platforms", PLATFORMS];
const REMOVE = [node, QUS, "remove", "--platforms", PLATFORMS];

// Set-up: the image must be there (qus never pulls it), and the 5 platforms registered, so `noop` is one.
mustRun([ENGINE, "image", "inspect", "--format", "{{.Id}}", IMAGE], `${IMAGE} on ${ENGINE} (qus image build?)`);
mustRun(ENSURE, `qus ensure --driver ${ENGINE} before timing`);

// `before` runs untimed right before the timed command.
const stats = measure(
  [
    { name: "bare", argv: [ENGINE, "run", "--rm", "--entrypoint", "/bin/busybox", IMAGE, "true"] },
    { name: "noop", argv: ENSURE },
    { name: "clean", argv: ENSURE, before: REMOVE },
  ],
  runs,
);
// `clean` may have run last: leave the 5 registered.
mustRun(ENSURE, `qus ensure --driver ${ENGINE} after timing`);

const ratios = ratiosOf(stats, [
  ["noop", "bare"],
  ["clean", "bare"],
]);
const version = ENGINE === "docker" ? "{{.Server.Version}}" : "{{.Version}}";
const engine = json ? run([ENGINE, "version", "--format", version]).stdout.trim() : "";
report({
  json,
  runs,
  meta: { engine: engine ? `${ENGINE} ${engine}` : ENGINE, image: IMAGE, platforms: PLATFORMS.split(",") },
  stats,
  ratios,
  goals: [
    {
      goal: `no-op qus ensure --driver ${ENGINE} within 1.2x of one bare container run`,
      ratio: ratios["noop/bare"],
      limit: 1.2,
    },
  ],
});
