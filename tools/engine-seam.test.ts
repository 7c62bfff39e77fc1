import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { engineCallsOutsideSeam } from "./engine-seam-scan.js";

// One engine seam (issue 24): docker, podman and buildx run only through core's engine command and the container
// runners, and processes start only in core's exec seam. A package that spawns an engine's client itself, or
// imports node:child_process, fails here.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The files allowed to start processes and to run an engine's client: the seams, listed by name. */
const SEAM_FILES = [
  "packages/core/src/exec.ts",
  // qus run's command in the foreground: stdio and signals passed through, fd 3 read.
  "packages/core/src/run/foreground-process.ts",
  // core's engine command, its words, and the docker and podman CLI runners.
  "packages/core/src/runner/",
  // testcontainers' runner on dockerode (the Engine API, no CLI).
  "packages/testcontainers/src/engine-client.ts",
  "packages/testcontainers/src/engine-images.ts",
  "packages/testcontainers/src/engine-runner.ts",
  "packages/testcontainers/src/run-container.ts",
  "packages/testcontainers/src/runtime-client.ts",
  "packages/testcontainers/src/attach-output.ts",
  "packages/testcontainers/src/docker-errors.ts",
  // The Dagger runner (withExec).
  "packages/dagger/src/runner.ts",
  "packages/dagger/src/exec.ts",
  "packages/dagger/src/engine.ts",
];

function isSeam(file: string): boolean {
  return SEAM_FILES.some((seam) => (seam.endsWith("/") ? file.startsWith(seam) : file === seam));
}

function isTestFile(name: string): boolean {
  return name.endsWith(".test.ts") || name.startsWith("test-") || name.startsWith("fake-");
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") && !isTestFile(name) ? [path] : [];
  });
}

describe("one engine seam", () => {
  it("the scanner finds each way around the seam, and passes the seam's own calls", () => {
    const planted = [
      'import { spawnSync } from "node:child_process";',
      'const cp = require("child_process");',
      'await exec("docker", ["info"]);',
      'await options.exec("podman", ["ps"]);',
      'const docker = requireProgram("docker");',
      'spawnSync("docker", ["rm", name]);',
      'await runStep(options, ["docker", "load"], { what: "x" });',
      'const argv = ["buildx", "rm", "--", name];',
    ].join("\n");
    expect(engineCallsOutsideSeam("x.ts", planted)).toEqual([
      "line 1: imports node:child_process",
      "line 2: imports child_process",
      'line 3: exec("docker")',
      'line 4: exec("podman")',
      'line 5: requireProgram("docker")',
      'line 6: spawnSync("docker")',
      'line 7: runStep of ["docker", ...]',
      'line 8: argv ["buildx", ...]',
    ]);
    const clean = [
      'const docker = engineCommand({ engine: "docker", context, exec });',
      'await docker.buildx(["rm", "--", name], { timeoutMs });',
      'const hint = formatCommand(["docker", "buildx", "ls"]);',
      'await exec("umount", ["--lazy", point]);',
    ].join("\n");
    // The seam is the only one that spells buildx's argv: even through the seam, other packages use BuildxCli.
    expect(engineCallsOutsideSeam("y.ts", clean)).toEqual([]);
  });

  it("every seam file listed exists (a renamed runner must be listed again)", () => {
    const missing = SEAM_FILES.filter((seam) => !statSync(join(ROOT, seam), { throwIfNoEntry: false }));
    expect(missing).toEqual([]);
  });

  it("no package runs docker, podman or buildx, or starts a process, outside its engine seam", () => {
    const files = readdirSync(join(ROOT, "packages"))
      .map((name) => join(ROOT, "packages", name, "src"))
      .filter((src) => statSync(src, { throwIfNoEntry: false })?.isDirectory())
      .flatMap(sourceFiles)
      .map((path) => relative(ROOT, path));
    expect(files.length).toBeGreaterThan(100);
    const found = files
      .filter((file) => !isSeam(file))
      .flatMap((file) =>
        engineCallsOutsideSeam(file, readFileSync(join(ROOT, file), "utf8")).map((what) => `${file} ${what}`),
      );
    expect(found).toEqual([]);
  });
});
