import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MockTestRunner } from "azure-pipelines-task-lib/mock-test.js";
import { commandFromString } from "azure-pipelines-task-lib/taskcommand.js";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildBusyboxImage, docker, helperContainers, requireDocker, requireQusImage } from "./support/docker.js";
import {
  busybox,
  entryNames,
  qus,
  registerStaleRiscv64,
  removeRaw,
  runProgram,
  useCleanQemuTable,
} from "./support/kernel.js";

// The Azure Pipelines task (packages/azure-pipelines), built, run as the agent runs it: `node task/dist/index.js` with
// INPUT_* variables, what it says read from its `##vso[...]` lines; and its post-job step with the task variables
// the main step set. On this machine's kernel and the local Docker engine's (the same kernel). Serial; the qemu-*
// entries are put back afterwards.
const TASK = fileURLToPath(new URL("../packages/azure-pipelines/task/", import.meta.url));
const MAIN = join(TASK, "dist/index.js");
const POST = join(TASK, "dist/post.js");
const MOCK_RUN = fileURLToPath(new URL("./support/azure-task-mock-run.ts", import.meta.url));
const AGENT_VERSION = "4.266.2";
const SUDO_USER = "qus-e2e-azp";
const SUDOERS = `/etc/sudoers.d/${SUDO_USER}`;

/** What one run of a task entry told the agent. */
interface TaskRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** `task.complete`'s result (Succeeded, Failed), and its message. */
  readonly result?: string;
  readonly message?: string;
  /** Output variables (`task.setvariable ... isOutput=true`). */
  readonly outputs: Record<string, string>;
  /** Task variables (`task.settaskvariable`), which the agent hands to the post-job step. */
  readonly taskVariables: Record<string, string>;
  /** The Markdown of the `task.uploadsummary` file, if any. */
  readonly summary?: string;
  readonly errors: string[];
  readonly warnings: string[];
}

/** Reads the `##vso[...]` logging commands a task printed, as the agent does. */
function readCommands(stdout: string): Omit<TaskRun, "status" | "stdout" | "stderr"> {
  const outputs: Record<string, string> = {};
  const taskVariables: Record<string, string> = {};
  const errors: string[] = [];
  const warnings: string[] = [];
  let result: string | undefined;
  let message: string | undefined;
  let summary: string | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const at = line.indexOf("##vso[");
    if (at < 0) continue;
    const { command, properties = {}, message: text = "" } = commandFromString(line.slice(at));
    const variable = properties.variable ?? "";
    if (command === "task.complete") [result, message] = [properties.result, text];
    else if (command === "task.setvariable" && properties.isOutput === "true") outputs[variable] = text;
    else if (command === "task.settaskvariable") taskVariables[variable] = text;
    else if (command === "task.uploadsummary") summary = readFileSync(text, "utf8");
    else if (command === "task.issue" && properties.type === "error") errors.push(text);
    else if (command === "task.issue" && properties.type === "warning") warnings.push(text);
  }
  return { result, message, summary, outputs, taskVariables, errors, warnings };
}

/** The environment the agent gives a Node handler: its own, the inputs, task variables and agent variables. */
function agentEnv(
  agentTemp: string,
  inputs: Readonly<Record<string, string>>,
  taskVariables: Readonly<Record<string, string>> = {},
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("INPUT_") && !key.startsWith("VSTS_TASKVARIABLE_")) env[key] = value;
  }
  // The agent's names: upper case, `.` and ` ` as `_` (VarUtil.ConvertToEnvVariableFormat).
  const envName = (name: string) => name.replace(/[. ]/g, "_").toUpperCase();
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${envName(name)}`] = value;
  for (const [name, value] of Object.entries(taskVariables)) env[`VSTS_TASKVARIABLE_${envName(name)}`] = value;
  return { ...env, AGENT_TEMPDIRECTORY: agentTemp, AGENT_VERSION: AGENT_VERSION, ...extra };
}

/** Runs a task entry as the agent starts it (`node <target>`), as root or as another user through runuser. */
function runTask(
  entry: string,
  agentTemp: string,
  inputs: Readonly<Record<string, string>>,
  options: { taskVariables?: Record<string, string>; env?: NodeJS.ProcessEnv; user?: string } = {},
): TaskRun {
  const [command, args] = options.user
    ? ["runuser", ["-u", options.user, "--", process.execPath, entry]]
    : [process.execPath, [entry]];
  const result = spawnSync(command, args, {
    encoding: "utf8",
    cwd: agentTemp,
    env: agentEnv(agentTemp, inputs, options.taskVariables, options.env),
    timeout: 240_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ...readCommands(result.stdout) };
}

/** A run's result and its issues, for assertion messages. */
const said = (run: TaskRun) => `${run.message ?? "(no task.complete)"}\n${run.errors.join("\n")}\n${run.stderr}`;

let agentTemp: string;

useCleanQemuTable(async () => {
  if (!existsSync(MAIN) || !existsSync(POST)) throw new Error(`${MAIN} is missing: run npm run build`);
  requireDocker();
  await requireQusImage();
  buildBusyboxImage("arm64", "linux/arm64");
  buildBusyboxImage("riscv64", "linux/riscv64");
});

beforeEach(() => {
  agentTemp = mkdtempSync(join(tmpdir(), "qus-e2e-azp-"));
});

afterEach(() => {
  rmSync(agentTemp, { recursive: true, force: true });
  // Whatever a test did, no helper container of qus's is left on the engine.
  expect(helperContainers()).toEqual([]);
});

describe("the main step, as the agent starts it", () => {
  it("kernel auto picks this machine's kernel (root, the engine on it): the asked platforms, and the engine runs them", () => {
    const run = runTask(MAIN, agentTemp, { platforms: "arm64\nlinux/riscv64", kernel: "auto" });
    expect(run.result, said(run)).toBe("Succeeded");
    expect(run.outputs.platforms).toBe("linux/arm64,linux/riscv64");
    expect(run.outputs.builderName).toBe("");
    const report = JSON.parse(run.outputs.report ?? "{}");
    expect(report).toMatchObject({ command: "ensure", driver: "local", ok: true });
    expect(report.platforms.map((p: { platform: string; verified: boolean }) => [p.platform, p.verified])).toEqual([
      ["linux/arm64", true],
      ["linux/riscv64", true],
    ]);
    expect(run.summary).toMatch(/\| linux\/arm64 \|/);
    expect(run.summary).toMatch(/\| linux\/riscv64 \|/);
    // cleanup is on by default: the post-job step removes what this task registered.
    expect(JSON.parse(run.taskVariables.qus_state ?? "{}")).toEqual({
      kernel: "local",
      registered: ["aarch64", "riscv64"],
      cleanup: true,
    });
    for (const [platform, machine] of [
      ["linux/arm64", "aarch64"],
      ["linux/riscv64", "riscv64"],
    ] as const) {
      const image = `qus-e2e-busybox:${platform.slice("linux/".length)}`;
      const ran = docker(["run", "--rm", "--platform", platform, image, "uname", "-m"]);
      expect(ran.stdout, ran.stderr).toBe(machine);
    }
  });

  it("kernel local, as root: this machine's kernel, and its foreign programs run", () => {
    const run = runTask(MAIN, agentTemp, { platforms: "aarch64, s390x", kernel: "local" });
    expect(run.result, said(run)).toBe("Succeeded");
    expect(run.outputs.platforms).toBe("linux/arm64,linux/s390x");
    expect(JSON.parse(run.outputs.report ?? "{}")).toMatchObject({ driver: "local", ok: true });
    expect(runProgram(busybox("arm64"), ["uname", "-m"]).stdout).toBe("aarch64");
    expect(runProgram(busybox("s390x"), ["uname", "-m"]).stdout).toBe("s390x");
  });

  it("buildx with driver docker: proves the engine's own builder builds each platform; builderName is an output", () => {
    const run = runTask(MAIN, agentTemp, {
      platforms: "linux/arm64",
      kernel: "docker",
      buildx: "true",
      driver: "docker",
    });
    expect(run.result, said(run)).toBe("Succeeded");
    expect(run.outputs).toMatchObject({ platforms: "linux/arm64", builderName: "default" });
    expect(run.summary).toContain("### buildx builder default");
    expect(run.summary).toMatch(/\| linux\/arm64 \| (yes|no) \| no \| ✅ yes \|/);
  }, 300_000);
});

describe("the task's bundled CLI, as sudo runs it", () => {
  it("answers --version with where it runs from (its CommonJS bundle gives import.meta.url its own file)", () => {
    const version = spawnSync(process.execPath, [join(TASK, "dist/qus.js"), "--version"], { encoding: "utf8" });
    expect(version.stderr).toBe("");
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+ \(/);
    expect(version.stdout.trim().endsWith(` (${TASK.replace(/\/$/, "")})`)).toBe(true);
  });
});

describe("through azure-pipelines-task-lib's MockTestRunner, with no mocks", () => {
  /** Runs the real entry under MockTestRunner, on the Node running these tests (it would download one otherwise). */
  async function mockRun(inputs: Record<string, string>): Promise<MockTestRunner> {
    const runner = new MockTestRunner(MOCK_RUN, join(TASK, "task.json"));
    runner.nodePath = process.execPath;
    const env = {
      QUS_E2E_TASK_ENTRY: MAIN,
      QUS_E2E_TASK_INPUTS: JSON.stringify(inputs),
      AGENT_TEMPDIRECTORY: agentTemp,
    };
    const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
    Object.assign(process.env, env);
    try {
      await runner.runAsync();
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    return runner;
  }

  it("succeeds on the real kernel and sets the output variables", async () => {
    const runner = await mockRun({ platforms: "linux/arm64", kernel: "local" });
    expect(runner.succeeded, `${runner.errorIssues.join("\n")}\n${runner.stderr}`).toBe(true);
    expect(runner.errorIssues).toEqual([]);
    expect(readCommands(runner.stdout).outputs).toMatchObject({ platforms: "linux/arm64", builderName: "" });
    expect(entryNames()).toContain("qemu-aarch64");
    expect(runProgram(busybox("arm64"), ["uname", "-m"]).stdout).toBe("aarch64");
  });

  it("fails naming a bogus platform, with the nearest valid ones", async () => {
    const runner = await mockRun({ platforms: "linux/arm65" });
    expect(runner.failed).toBe(true);
    expect(runner.errorIssues).toEqual([
      expect.stringMatching(
        /^qus: error QUS_UNKNOWN_PLATFORM: unknown platform "linux\/arm65" \(hint: did you mean .*arm64/,
      ),
    ]);
  });
});

describe("the post-job step, with the task variables the main step set", () => {
  it("cleanup: removes what main registered and leaves the entries that were there before", async () => {
    const before = await qus(["ensure", "--platforms", "linux/s390x"]);
    expect(before.exitCode, before.stderr).toBe(0);
    const main = runTask(MAIN, agentTemp, { platforms: "arm64,s390x", kernel: "local", cleanup: "true" });
    expect(main.result, said(main)).toBe("Succeeded");
    expect(entryNames()).toEqual(expect.arrayContaining(["qemu-aarch64", "qemu-s390x"]));

    const post = runTask(
      POST,
      agentTemp,
      { platforms: "arm64,s390x", cleanup: "true" },
      { taskVariables: main.taskVariables },
    );
    expect(post.status, post.stderr).toBe(0);
    expect(post.result).toBeUndefined(); // nothing to report: the step succeeded
    expect(post.warnings).toEqual([]);
    expect(post.stdout).toContain("qus: removed qemu-aarch64");
    expect(entryNames()).toContain("qemu-s390x");
    expect(entryNames()).not.toContain("qemu-aarch64");
  });

  it("cleanup on the engine's kernel: removes through a helper container", () => {
    const main = runTask(MAIN, agentTemp, { platforms: "riscv64", kernel: "docker" });
    expect(main.result, said(main)).toBe("Succeeded");
    expect(entryNames()).toContain("qemu-riscv64");
    const post = runTask(POST, agentTemp, {}, { taskVariables: main.taskVariables });
    expect(post.stdout, post.stderr).toContain("qus: removed qemu-riscv64");
    expect(entryNames()).not.toContain("qemu-riscv64");
  });

  it("cleanup false, or no main step that ran: it leaves everything and does not fail", () => {
    const main = runTask(MAIN, agentTemp, { platforms: "arm64", kernel: "local", cleanup: "false" });
    expect(main.result, said(main)).toBe("Succeeded");
    const kept = runTask(POST, agentTemp, {}, { taskVariables: main.taskVariables });
    expect(kept.stdout).toContain("cleanup is false");
    const none = runTask(POST, agentTemp, {});
    expect(none.stdout).toContain("nothing to clean up");
    for (const post of [kept, none]) {
      expect(post.status).toBe(0);
      expect(post.result).toBeUndefined();
    }
    expect(entryNames()).toContain("qemu-aarch64");
  });
});

describe("failures fail the task with the reason and the hint", () => {
  it("a bogus platform: named, with the nearest valid ones; nothing registered", () => {
    const run = runTask(MAIN, agentTemp, { platforms: "arm64,linux/arm65" });
    expect(run.result).toBe("Failed");
    expect(run.message).toMatch(
      /^qus: error QUS_UNKNOWN_PLATFORM: unknown platform "linux\/arm65" \(hint: did you mean/,
    );
    expect(run.outputs).toEqual({});
    expect(run.taskVariables).toEqual({});
    expect(entryNames().filter((name) => name.startsWith("qemu-"))).toEqual([]);
  });

  it("a platform that does not run: an error naming it, why and the hint; the others are still the output", () => {
    // A distribution's stale entry for riscv64 whose interpreter is not there: qus reports it and leaves it alone.
    registerStaleRiscv64("qus-e2e-azp-stale-riscv64");
    try {
      const run = runTask(MAIN, agentTemp, { platforms: "riscv64,arm64", kernel: "local" });
      expect(run.result).toBe("Failed");
      expect(run.errors[0]).toMatch(/^linux\/riscv64: .*qus-e2e-azp-stale-riscv64.* \(hint: .*replace/);
      expect(run.message).toBe(`qus: 1 platform does not run: ${run.errors[0]}`);
      expect(run.outputs.platforms).toBe("linux/arm64");
      expect(run.summary).toMatch(/\| linux\/riscv64 \|/);
      expect(runProgram(busybox("arm64"), ["uname", "-m"]).stdout).toBe("aarch64");
    } finally {
      removeRaw("qus-e2e-azp-stale-riscv64");
    }
  });

  it("driver with its earlier meaning (the kernel) is refused naming kernel; nothing registered", () => {
    const run = runTask(MAIN, agentTemp, { platforms: "arm64", driver: "local" });
    expect(run.result).toBe("Failed");
    expect(run.message).toMatch(
      /^qus: (error )?QUS_USAGE: the input driver is "local": driver names the buildx driver now/,
    );
    expect(run.message).toContain("(hint: to choose the kernel to set up, write kernel: local)");
    expect(entryNames()).not.toContain("qemu-aarch64");
  });

  it("an engine that does not answer, with kernel docker", () => {
    const run = runTask(
      MAIN,
      agentTemp,
      { platforms: "arm64", kernel: "docker" },
      {
        env: { DOCKER_HOST: "tcp://127.0.0.1:9" },
      },
    );
    expect(run.result).toBe("Failed");
    expect(run.message).toMatch(
      /^qus: error QUS_ENGINE_UNREACHABLE: cannot reach the container engine at tcp:\/\/127\.0\.0\.1:9/,
    );
    expect(run.message).toContain("(hint: start the engine");
    expect(entryNames()).not.toContain("qemu-aarch64");
  });

  it("a non-root user without sudo, with kernel local: the user, the sudo it tried, and what to do", () => {
    const sudo = spawnSync("runuser", ["-u", "nobody", "--", "sudo", "-n", "true"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(sudo.status, "nobody must have no sudo rights for this test").not.toBe(0);
    chownSync(agentTemp, 65534, 65534);
    const run = runTask(MAIN, agentTemp, { platforms: "arm64", kernel: "local" }, { user: "nobody" });
    expect(run.result, said(run)).toBe("Failed");
    expect(run.message).toMatch(
      /^qus: error QUS_NOT_ROOT: setting up binfmt_misc on this machine needs root: this job runs as nobody, and sudo -n -- .* did not run/,
    );
    expect(run.message).toContain(
      "(hint: run the job as root, allow its user passwordless sudo, or set kernel: docker",
    );
    expect(entryNames()).not.toContain("qemu-aarch64");
  });
});

describe("as a hosted agent's user: not root, passwordless sudo", () => {
  beforeAll(() => {
    if (spawnSync("id", [SUDO_USER]).status !== 0) {
      const made = spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SUDO_USER], {
        encoding: "utf8",
        timeout: 30_000,
      });
      if (made.status !== 0) throw new Error(`useradd failed: ${made.stderr}`);
    }
    writeFileSync(SUDOERS, `${SUDO_USER} ALL=(root) NOPASSWD: ALL\n`, { mode: 0o440 });
  });
  afterAll(() => {
    rmSync(SUDOERS, { force: true });
    spawnSync("userdel", [SUDO_USER], { timeout: 30_000 });
  });

  it("kernel auto: this machine's kernel, the bundled CLI through sudo -n; the post-job step removes it the same way", () => {
    const uid = Number(spawnSync("id", ["-u", SUDO_USER], { encoding: "utf8", timeout: 30_000 }).stdout.trim());
    chownSync(agentTemp, uid, uid);
    const main = runTask(MAIN, agentTemp, { platforms: "arm64" }, { user: SUDO_USER });
    expect(main.result, said(main)).toBe("Succeeded");
    expect(main.outputs.platforms).toBe("linux/arm64");
    expect(runProgram(busybox("arm64"), ["uname", "-m"]).stdout).toBe("aarch64");
    const post = runTask(POST, agentTemp, {}, { taskVariables: main.taskVariables, user: SUDO_USER });
    expect(post.stdout, post.stderr).toContain("qus: removed qemu-aarch64");
    expect(entryNames()).not.toContain("qemu-aarch64");
  });
});
