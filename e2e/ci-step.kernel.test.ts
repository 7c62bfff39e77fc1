import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { readStepInputs, runPost, runStep } from "@qus/ci";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBusyboxImage, docker, requireDocker, requireQusImage } from "./support/docker.js";
import {
  busybox,
  entryNames,
  registerStaleRiscv64,
  removeRaw,
  runProgram,
  useCleanQemuTable,
} from "./support/kernel.js";

// The step every CI plugin runs (@qus/ci), on this kernel: as a hosted runner's non-root user with passwordless
// sudo, and with a buildx builder on the engine.
const CLI = fileURLToPath(new URL("../packages/cli/bin/qus.js", import.meta.url));
const CI = pathToFileURL(fileURLToPath(new URL("../packages/ci/dist/index.js", import.meta.url))).href;
const RUNNER_USER = "qus-e2e-runner";
const SUDOERS = `/etc/sudoers.d/${RUNNER_USER}`;

const inputsOf = (values: Record<string, string>) => readStepInputs((name) => values[name]);

useCleanQemuTable(() => {
  requireDocker();
});

describe("as a non-root job user with passwordless sudo (as hosted runners are)", () => {
  let dir: string;
  beforeAll(() => {
    if (spawnSync("id", [RUNNER_USER]).status !== 0) {
      const made = spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUNNER_USER]);
      if (made.status !== 0) throw new Error(`useradd failed: ${made.stderr}`);
    }
    writeFileSync(SUDOERS, `${RUNNER_USER} ALL=(root) NOPASSWD: ALL\n`, { mode: 0o440 });
    dir = mkdtempSync(join(tmpdir(), "qus-e2e-ci-"));
    chmodSync(dir, 0o755);
  });
  afterAll(() => {
    rmSync(SUDOERS, { force: true });
    spawnSync("userdel", [RUNNER_USER]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the step as the runner user, with the default kernel (auto: sudo here, so local); prints its outcome as JSON. */
  function runAsRunner(platforms: string): {
    status: number | null;
    out: { step: unknown; post: unknown } | undefined;
    stderr: string;
  } {
    const script = join(dir, "step.mjs");
    writeFileSync(
      script,
      `import { readStepInputs, runPost, runStep } from ${JSON.stringify(CI)};
const inputs = readStepInputs((name) => ({ platforms: ${JSON.stringify(platforms)} })[name]);
const step = await runStep(inputs, { cliPath: ${JSON.stringify(CLI)} });
const registered = process.argv[2] === "keep" ? undefined : await runPost(step.state, { cliPath: ${JSON.stringify(CLI)} });
console.log(JSON.stringify({ step: { verified: step.verified, failures: step.failures, state: step.state }, post: registered }));
`,
      { mode: 0o644 },
    );
    const result = spawnSync("runuser", ["-u", RUNNER_USER, "--", process.execPath, script, "keep"], {
      encoding: "utf8",
      timeout: 120_000,
      cwd: dir,
    });
    const line = result.stdout.trim().split("\n").pop() ?? "";
    return { status: result.status, out: line.startsWith("{") ? JSON.parse(line) : undefined, stderr: result.stderr };
  }

  it("registers through sudo -n, verifies, and the post step removes what it registered", async () => {
    const run = runAsRunner("linux/arm64,linux/riscv64");
    expect(run.status, run.stderr).toBe(0);
    expect(run.out?.step).toMatchObject({
      verified: ["linux/arm64", "linux/riscv64"],
      failures: [],
      state: { kernel: "local", registered: ["aarch64", "riscv64"], cleanup: true },
    });
    expect(runProgram(busybox("arm64"), ["uname", "-m"]).stdout).toBe("aarch64");
    // The post step, as the same user: through sudo too.
    const post = await runPost(
      { kernel: "local", registered: ["aarch64"], cleanup: true },
      { cliPath: CLI, isRoot: false },
    );
    expect(post).toEqual({ removedEntries: ["qemu-aarch64"], problems: [] });
    expect(entryNames()).not.toContain("qemu-aarch64");
    expect(entryNames()).toContain("qemu-riscv64");
  });
});

describe("with buildx on the engine", () => {
  beforeAll(async () => {
    await requireQusImage();
    buildBusyboxImage("arm64", "linux/arm64");
  });

  it("ensures on the engine's kernel, bootstraps the engine's own builder and proves its platform", async () => {
    const inputs = inputsOf({ platforms: "linux/arm64", kernel: "docker", buildx: "true", driver: "docker" });
    const outcome = await runStep(inputs, { cliPath: CLI });
    expect(outcome.failures).toEqual([]);
    expect(outcome.verified).toEqual(["linux/arm64"]);
    expect(outcome.state).toMatchObject({ kernel: "docker", registered: ["aarch64"] });
    expect(outcome.name).toBe("default");
    expect(outcome.bootstrap?.platforms.map((proof) => [proof.platform, proof.proven || proof.native])).toEqual([
      ["linux/arm64", true],
    ]);
    expect(outcome.summary).toContain("### buildx builder");
    const run = docker(["run", "--rm", "--platform", "linux/arm64", "qus-e2e-busybox:arm64", "uname", "-m"]);
    expect(run.stdout).toBe("aarch64");
  });

  it("the docker driver named for two platforms on the classic image store: refused before the user's build, naming both fixes", async () => {
    const inputs = inputsOf({
      platforms: "linux/arm64,linux/amd64",
      kernel: "docker",
      buildx: "true",
      driver: "docker",
    });
    const error = await runStep(inputs, { cliPath: CLI }).catch((caught: unknown) => caught);
    expect(String(error)).toMatch(/cannot build linux\/arm64,linux\/amd64 in one build/);
    expect(String((error as { hint?: string }).hint ?? "")).toMatch(/docker-container/);
  });

  it("a platform that does not run is a failure with its reason and hint; the others are still verified", async () => {
    // A distribution's stale entry for riscv64 whose interpreter is not there: qus reports it, leaves it alone.
    registerStaleRiscv64("qus-e2e-stale-riscv64");
    try {
      const outcome = await runStep(inputsOf({ platforms: "linux/riscv64,linux/arm64", kernel: "local" }), {
        cliPath: CLI,
        isRoot: true,
      });
      expect(outcome.verified).toEqual(["linux/arm64"]);
      expect(outcome.failures).toEqual([
        expect.objectContaining({ platform: "linux/riscv64", hint: expect.stringContaining("--replace") }),
      ]);
      expect(outcome.state.registered).toEqual(["aarch64"]);
    } finally {
      removeRaw("qus-e2e-stale-riscv64");
    }
  });
});
