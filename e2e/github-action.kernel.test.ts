import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildBusyboxImage, docker, helperContainers, requireDocker, requireQusImage } from "./support/docker.js";
import {
  ACTION_DIR,
  type ActionRun,
  inputVariable,
  readFileCommands,
  runActionStep,
  runnerFreeEnv,
} from "./support/github-runner.js";
import {
  busybox,
  entryNames,
  qus,
  registerStaleRiscv64,
  removeRaw,
  runProgram,
  useCleanQemuTable,
} from "./support/kernel.js";

// The GitHub Action (packages/github-action) as a runner runs it: `node dist/main.js` with INPUT_* and the runner's
// files, then `node dist/post.js` with the saved state; on this kernel and this machine's Docker engine.
const LOCAL_ACTION = join(ACTION_DIR, "../../node_modules/.bin/local-action");
const STALE_RISCV64 = "qus-e2e-gha-stale-riscv64";

useCleanQemuTable(async () => {
  requireDocker();
  await requireQusImage();
  buildBusyboxImage("arm64", "linux/arm64");
  buildBusyboxImage("riscv64", "linux/riscv64");
});

// Whatever a test did, the action left no helper container behind.
afterEach(() => {
  expect(helperContainers()).toEqual([]);
});

/** `uname -m` of the busybox image of a platform, run by the engine. */
const engineMachine = (arch: string, platform: string) =>
  docker(["run", "--rm", "--platform", platform, `qus-e2e-busybox:${arch}`, "uname", "-m"]).stdout;

/** What the main step saved for the post step, parsed. */
const savedState = (run: ActionRun) => JSON.parse(run.state["qus-state"] ?? "null");

/** The outcome in words, for assertion messages. */
const said = (run: ActionRun) => `exit ${run.status}\n${run.stdout}\n${run.stderr}`;

describe("main, as the runner starts it", () => {
  it("kernel auto picks this machine's kernel here (root, the engine on it): no image pulled; the engine runs both platforms", () => {
    const run = runActionStep("main", { inputs: { platforms: "arm64\nlinux/riscv64" } });
    expect(run.status, said(run)).toBe(0);
    expect(run.errors).toEqual([]);
    // Exactly the platforms asked for, verified, canonical, in the order asked.
    expect(run.outputs.platforms).toBe("linux/arm64,linux/riscv64");
    const report = JSON.parse(run.outputs.report ?? "{}");
    expect(report).toMatchObject({ schemaVersion: 1, command: "ensure", driver: "local", ok: true });
    expect(report.platforms.map((platform: { platform: string }) => platform.platform)).toEqual([
      "linux/arm64",
      "linux/riscv64",
    ]);
    expect(run.outputs).not.toHaveProperty("name");
    expect(run.summary).toContain("### qus ensure: ✅ all platforms ok");
    expect(run.summary).toMatch(/^\| linux\/arm64 \| absent \| register \|/m);
    expect(run.summary).toMatch(/^\| linux\/riscv64 \| absent \| register \|/m);
    // cleanup is on by default, as setup-buildx-action's: the post step removes what this job registered.
    expect(savedState(run)).toEqual({ kernel: "local", registered: ["aarch64", "riscv64"], cleanup: true });
    expect(engineMachine("arm64", "linux/arm64")).toBe("aarch64");
    expect(engineMachine("riscv64", "linux/riscv64")).toBe("riscv64");
  });

  it("nothing but the defaults: every platform set up and verified on this machine's kernel, removed after", () => {
    const run = runActionStep("main");
    expect(run.status, said(run)).toBe(0);
    const verified = (run.outputs.platforms ?? "").split(",");
    expect(verified).toEqual(expect.arrayContaining(["linux/amd64", "linux/arm64", "linux/riscv64", "linux/s390x"]));
    expect(JSON.parse(run.outputs.report ?? "{}")).toMatchObject({ driver: "local", ok: true });
    expect(savedState(run)).toMatchObject({ kernel: "local", cleanup: true });
    expect(runProgram(busybox("riscv64"), ["uname", "-m"]).stdout).toBe("riscv64");
    const post = runActionStep("post", { state: run.state });
    expect(post.status, said(post)).toBe(0);
    expect(post.warnings).toEqual([]);
    expect(entryNames().filter((name) => name.startsWith("qemu-"))).toEqual([]);
  }, 300_000);

  it("kernel docker: the kernel behind the engine, through its installer image", () => {
    const run = runActionStep("main", { inputs: { platforms: "linux/arm64", kernel: "docker" } });
    expect(run.status, said(run)).toBe(0);
    expect(JSON.parse(run.outputs.report ?? "{}")).toMatchObject({ driver: "docker", ok: true });
    expect(savedState(run)).toMatchObject({ kernel: "docker", registered: ["aarch64"] });
    expect(engineMachine("arm64", "linux/arm64")).toBe("aarch64");
  });

  it("kernel local, as root: this machine's kernel; the foreign programs run directly", () => {
    const run = runActionStep("main", { inputs: { platforms: "linux/arm64, riscv64", kernel: "local" } });
    expect(run.status, said(run)).toBe(0);
    expect(run.outputs.platforms).toBe("linux/arm64,linux/riscv64");
    expect(JSON.parse(run.outputs.report ?? "{}")).toMatchObject({ driver: "local", ok: true });
    expect(run.summary).toContain("| linux/arm64 |");
    expect(savedState(run)).toMatchObject({ kernel: "local", registered: ["aarch64", "riscv64"] });
    expect(runProgram(busybox("arm64"), ["uname", "-m"]).stdout).toBe("aarch64");
    expect(runProgram(busybox("riscv64"), ["uname", "-m"]).stdout).toBe("riscv64");
  });

  it("buildx with driver docker: the engine's own builder proven to build the platform; the output name names it", () => {
    const run = runActionStep("main", { inputs: { platforms: "linux/arm64", buildx: "true", driver: "docker" } });
    expect(run.status, said(run)).toBe(0);
    expect(run.outputs.platforms).toBe("linux/arm64");
    expect(run.outputs.name).toBe("default");
    expect(run.summary).toContain("### buildx builder default (docker)");
    expect(run.summary).toMatch(/^\| linux\/arm64 \| yes \| no \| ✅ yes \|/m);
  }, 300_000);
});

describe("post, with the state the runner passes it", () => {
  it("cleanup: removes the entries main registered, and leaves the ones that were there before", async () => {
    const before = await qus(["ensure", "--platforms", "linux/s390x"]);
    expect(before.exitCode, before.stderr).toBe(0);
    const main = runActionStep("main", {
      inputs: { platforms: "linux/arm64,linux/s390x", kernel: "local", cleanup: "true" },
    });
    expect(main.status, said(main)).toBe(0);
    expect(main.outputs.platforms).toBe("linux/arm64,linux/s390x");
    expect(savedState(main)).toMatchObject({ registered: ["aarch64"], cleanup: true });
    expect(entryNames()).toEqual(expect.arrayContaining(["qemu-aarch64", "qemu-s390x"]));

    const post = runActionStep("post", { state: main.state });
    expect(post.status, said(post)).toBe(0);
    expect(post.stdout).toContain("qus: removed qemu-aarch64");
    expect(post.warnings).toEqual([]);
    expect(entryNames()).toContain("qemu-s390x");
    expect(entryNames()).not.toContain("qemu-aarch64");
  });

  it("cleanup on the engine's kernel: removes them through the engine", () => {
    const main = runActionStep("main", { inputs: { platforms: "linux/arm64", kernel: "docker" } });
    expect(main.status, said(main)).toBe(0);
    expect(entryNames()).toContain("qemu-aarch64");
    const post = runActionStep("post", { state: main.state });
    expect(post.status, said(post)).toBe(0);
    expect(post.stdout).toContain("qus: removed qemu-aarch64");
    expect(entryNames()).not.toContain("qemu-aarch64");
  });

  it("cleanup false: it removes nothing; without state (main failed early) it does nothing", () => {
    const main = runActionStep("main", { inputs: { platforms: "linux/arm64", kernel: "local", cleanup: "false" } });
    expect(main.status, said(main)).toBe(0);
    const post = runActionStep("post", { state: main.state });
    expect(post.status, said(post)).toBe(0);
    expect(post.stdout).toContain("cleanup is off");
    expect(entryNames()).toContain("qemu-aarch64");

    const stateless = runActionStep("post");
    expect(stateless.status, said(stateless)).toBe(0);
    expect(stateless.stdout).toContain("saved no state");
    expect(entryNames()).toContain("qemu-aarch64");
  });
});

describe("a platform that does not run fails the step, naming it and why", () => {
  it("a bogus platform: exit 1, an error naming it, before anything runs", () => {
    const run = runActionStep("main", { inputs: { platforms: "linux/arm64,linux/arm65", cleanup: "true" } });
    expect(run.status, said(run)).toBe(1);
    expect(run.errors).toEqual([expect.stringContaining('unknown platform "linux/arm65"')]);
    expect(run.errors[0]).toContain("hint: did you mean");
    expect(run.outputs).toEqual({});
    expect(run.state).toEqual({});
    expect(entryNames().filter((name) => name.startsWith("qemu-"))).toEqual([]);
  });

  it("an entry in the way: the others are verified and output, the step fails with the platform's hint", () => {
    // A distribution's stale entry for riscv64 whose interpreter is not there: left alone without replace.
    registerStaleRiscv64(STALE_RISCV64);
    try {
      const run = runActionStep("main", { inputs: { platforms: "riscv64,arm64", kernel: "local", cleanup: "true" } });
      expect(run.status, said(run)).toBe(1);
      expect(run.outputs.platforms).toBe("linux/arm64");
      expect(run.stdout).toMatch(/^::error title=qus%3A linux\/riscv64 does not run::linux\/riscv64: /m);
      expect(run.errors[0]).toMatch(/hint: .*replace/);
      // setFailed: one line that names each platform that does not run, and why.
      expect(run.errors.at(-1)).toMatch(/^qus: 1 of 2 platforms asked for do not run: linux\/riscv64 \(.+\)$/);
      expect(run.summary).toContain("❌ some platforms not ok");
      // What it did register is in the state, for the post step to remove.
      expect(savedState(run)).toMatchObject({ registered: ["aarch64"], cleanup: true });
      expect(runActionStep("post", { state: run.state }).stdout).toContain("qus: removed qemu-aarch64");
      expect(entryNames()).toContain(STALE_RISCV64);

      // As the hint says: with replace, the entry in the way goes and both platforms are verified.
      const replaced = runActionStep("main", {
        inputs: { platforms: "riscv64,arm64", kernel: "local", replace: "true", cleanup: "false" },
      });
      expect(replaced.status, said(replaced)).toBe(0);
      expect(replaced.outputs.platforms).toBe("linux/riscv64,linux/arm64");
      expect(entryNames()).not.toContain(STALE_RISCV64);
      expect(runProgram(busybox("riscv64"), ["uname", "-m"]).stdout).toBe("riscv64");
    } finally {
      removeRaw(STALE_RISCV64);
    }
  });

  it("kernel docker and no engine answering: fails with the endpoint and the hint", () => {
    const run = runActionStep("main", {
      inputs: { platforms: "linux/arm64", kernel: "docker" },
      env: { DOCKER_HOST: "tcp://127.0.0.1:9" },
    });
    expect(run.status, said(run)).toBe(1);
    expect(run.errors).toEqual([expect.stringContaining("cannot reach the container engine at tcp://127.0.0.1:9")]);
    expect(run.errors[0]).toContain("hint: start the engine (dockerd), or point DOCKER_HOST");
    expect(run.state).toEqual({});
  });

  it("the inputs of earlier versions fail the step naming the new ones, before anything runs", () => {
    const renamed = runActionStep("main", { inputs: { platforms: "linux/arm64", "builder-name": "qus-e2e-gha" } });
    expect(renamed.status, said(renamed)).toBe(1);
    expect(renamed.errors).toEqual([expect.stringContaining("the input builder-name is gone: it is name now")]);
    const kernel = runActionStep("main", { inputs: { platforms: "linux/arm64", driver: "local" } });
    expect(kernel.status, said(kernel)).toBe(1);
    expect(kernel.errors[0]).toContain("hint: to choose the kernel to set up, write kernel: local");
    expect(entryNames().filter((name) => name.startsWith("qemu-"))).toEqual([]);
  });

  it("a named docker-container builder the engine cannot start (no registry for moby/buildkit): fails, and leaves no builder", () => {
    // The premise, as in buildx.kernel.test.ts: the engine has no BuildKit image and cannot pull one.
    expect(docker(["image", "inspect", "moby/buildkit:buildx-stable-1"]).status).not.toBe(0);
    const run = runActionStep("main", { inputs: { platforms: "linux/arm64", name: "qus-e2e-gha" } });
    expect(run.status, said(run)).toBe(1);
    expect(run.errors).toEqual([expect.stringContaining("could not bootstrap builder qus-e2e-gha")]);
    expect(run.errors[0]).toContain("builder qus-e2e-gha, created by this run, was removed again");
    expect(docker(["buildx", "inspect", "qus-e2e-gha"]).status).not.toBe(0);
    // The kernel was set up before the builder failed: the post step still removes what main registered.
    expect(savedState(run)).toMatchObject({ registered: ["aarch64"], cleanup: true });
    expect(entryNames()).toContain("qemu-aarch64");
    const post = runActionStep("post", { state: run.state });
    expect(post.status, said(post)).toBe(0);
    expect(entryNames()).not.toContain("qemu-aarch64");
  });

  it("kernel local as a user without root or sudo (nobody): fails with what to do instead", () => {
    // The premise: nobody may not use sudo here.
    const sudo = spawnSync("runuser", ["-u", "nobody", "--", "sudo", "-n", "true"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(sudo.status, sudo.stderr).not.toBe(0);
    const run = runActionStep("main", { inputs: { platforms: "linux/arm64", kernel: "local" }, user: "nobody" });
    expect(run.status, said(run)).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain("setting up binfmt_misc on this machine needs root: this job runs as nobody");
    expect(run.errors[0]).toContain(
      "hint: run the job as root, allow its user passwordless sudo, or set kernel: docker",
    );
    expect(entryNames()).not.toContain("qemu-aarch64");
  });
});

describe("as a hosted runner's user: not root, passwordless sudo", () => {
  const user = "qus-e2e-gha-runner";
  const sudoers = `/etc/sudoers.d/${user}`;
  beforeAll(() => {
    if (spawnSync("id", [user]).status !== 0) {
      const made = spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user]);
      if (made.status !== 0) throw new Error(`useradd failed: ${made.stderr}`);
    }
    writeFileSync(sudoers, `${user} ALL=(root) NOPASSWD: ALL\n`, { mode: 0o440 });
  });
  afterAll(() => {
    rmSync(sudoers, { force: true });
    spawnSync("userdel", [user]);
  });

  it("kernel auto picks this machine's kernel through sudo -n (the bundled dist/qus.js); post removes through it too", () => {
    const main = runActionStep("main", { inputs: { platforms: "linux/arm64" }, user });
    expect(main.status, said(main)).toBe(0);
    expect(main.outputs.platforms).toBe("linux/arm64");
    expect(savedState(main)).toMatchObject({ kernel: "local", registered: ["aarch64"] });
    expect(JSON.parse(main.outputs.report ?? "{}")).toMatchObject({ driver: "local" });
    expect(runProgram(busybox("arm64"), ["uname", "-m"]).stdout).toBe("aarch64");
    const post = runActionStep("post", { state: main.state, user });
    expect(post.status, said(post)).toBe(0);
    expect(post.stdout).toContain("qus: removed qemu-aarch64");
    expect(entryNames()).not.toContain("qemu-aarch64");
  });
});

describe("through @github/local-action, run from the action's folder", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "qus-e2e-local-action-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs src/main.ts (TypeScript, ESM) with the .env inputs and succeeds", () => {
    expect(existsSync(LOCAL_ACTION), LOCAL_ACTION).toBe(true);
    // The runner's files, made as the runner makes them: @actions/core appends to them.
    const [output, state, summary] = ["output", "state", "summary.md"].map((file) => join(dir, file));
    for (const file of [output, state, summary]) writeFileSync(file ?? "", "");
    const env = join(dir, ".env");
    writeFileSync(
      env,
      [
        `${inputVariable("platforms")}=linux/arm64`,
        `GITHUB_OUTPUT=${output}`,
        `GITHUB_STEP_SUMMARY=${summary}`,
        `GITHUB_STATE=${state}`,
        "",
      ].join("\n"),
    );
    const run = spawnSync(LOCAL_ACTION, ["run", ".", "src/main.ts", env], {
      cwd: ACTION_DIR,
      env: { ...runnerFreeEnv(), NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 180_000,
    });
    const text = `exit ${run.status}\n${run.stdout}\n${run.stderr}`;
    expect(run.status, text).toBe(0);
    // It read action.yml, ran the TypeScript entry point, and the step verified the platform.
    expect(run.stdout).toContain("Running Action");
    expect(run.stdout).toMatch(/'platforms'\s*│\s*'The platforms verified/);
    expect(run.stdout).toContain("qus: verified linux/arm64");
    expect(runProgram(busybox("arm64"), ["uname", "-m"]).stdout).toBe("aarch64");
    // local-action 7.0.1 finds @actions/core to stub in the top level of `npm ls --json --long`; inside an npm
    // workspace npm nests it under the workspace package, so no stub is applied and the action runs against the
    // real @actions/core: its outputs go to GITHUB_OUTPUT, and local-action's own table stays empty.
    expect(run.stdout).toContain("No outputs were set!");
    expect(readFileCommands(output ?? "")).toMatchObject({ platforms: "linux/arm64" });
    expect(readFileSync(summary ?? "", "utf8")).toContain("| linux/arm64 |");
  }, 240_000);
});
