import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QusError, type StepOutcome } from "@qus/ci";
import { errorDocument } from "@qus/core/toolkit";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { TaskOptions } from "./main.js";

// The task's main execution against the real task library, as the agent runs it, with the step and the inputs
// passed in: nothing here touches a kernel or an engine. The agent reads the `##vso[...]` lines it prints.
const scratch = mkdtempSync(join(tmpdir(), "qus-azure-main-"));
let runTask: (options: TaskOptions) => Promise<void>;
let stdout: string;
let environment: NodeJS.ProcessEnv;

beforeAll(async () => {
  // The task library keeps its vault's key under the agent's temporary folder, from the moment it loads.
  process.env.AGENT_TEMPDIRECTORY = scratch;
  ({ runTask } = await import("./main.js"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeEach(() => {
  environment = { ...process.env };
  stdout = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  // The task library sets output and task variables in the environment too.
  for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
  Object.assign(process.env, environment);
});

const verified = {
  report: { schemaVersion: 1, command: "ensure", ok: true, dryRun: false, platforms: [], warnings: [] },
  verified: ["linux/arm64"],
  summary: "| platform |",
  warnings: [],
  failures: [],
  state: { kernel: "local", registered: ["aarch64"], cleanup: false },
} as unknown as StepOutcome;

const task = (inputs: Record<string, string>): TaskOptions => ({
  cliPath: "qus.js",
  runStep: async () => verified,
  getInput: (name) => inputs[name],
});

const result = () => /##vso\[task\.complete result=(\w+);\](.*)/.exec(stdout)?.slice(1);

describe("the task's main execution, through the task library", () => {
  it("verified: the outputs set, the summary attached, the task succeeds", async () => {
    await runTask(task({ platforms: "linux/arm64" }));
    expect(stdout).toContain("##vso[task.setvariable variable=platforms;isOutput=true;issecret=false;]linux/arm64");
    expect(stdout).toMatch(/##vso\[task\.uploadsummary\].*qus\.md/);
    expect(result()).toEqual(["Succeeded", "qus: emulation verified for linux/arm64"]);
  });

  it("a summary that cannot be written after the platforms were verified: a warning naming where, no stack", async () => {
    const notAFolder = join(scratch, "file");
    writeFileSync(notAFolder, "");
    process.env.AGENT_TEMPDIRECTORY = notAFolder;
    await runTask(task({ platforms: "linux/arm64" }));
    expect(result()?.[0]).toBe("Succeeded");
    expect(stdout).toMatch(
      new RegExp(`##vso\\[task\\.issue type=warning;.*\\]qus could not write the summary under ${notAFolder} `),
    );
    expect(stdout).not.toMatch(/%0A\s+at /);
  });

  it("a step that cannot run fails with qus's one rendering of its error, on one line", async () => {
    const refused = new QusError("QUS_NOT_ROOT", "binfmt_misc needs root", { hint: "allow passwordless sudo" });
    await runTask({
      ...task({ platforms: "linux/arm64" }),
      runStep: async () => {
        throw refused;
      },
    });
    const { error } = errorDocument(refused);
    expect(result()).toEqual(["Failed", `qus: error ${error.code}: ${error.message} (hint: ${error.hint})`]);
  });

  it("a 100 KB input is quoted short in the failed result", async () => {
    await runTask(task({ platforms: "linux/arm64", kernel: "x".repeat(100_000) }));
    const [status, message] = result() ?? [];
    expect(status).toBe("Failed");
    expect(message?.length).toBeLessThan(1000);
    expect(message).toContain(`qus: error QUS_USAGE: the input kernel is "${"x".repeat(200)}"…(99800 more)`);
  });
});
