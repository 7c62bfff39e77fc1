import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QusError, type StepOutcome } from "@qus/ci";
import { errorDocument, renderErrorText } from "@qus/core/toolkit";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { run } from "./main.js";

// The main step against the real @actions/core, as a runner starts it (INPUT_*, GITHUB_OUTPUT, GITHUB_STATE), with
// the step itself replaced: nothing here touches a kernel or an engine.
let dir: string;
let stdout: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "qus-action-main-"));
  for (const file of ["state", "output", "summary"]) writeFileSync(join(dir, file), "");
  vi.stubEnv("GITHUB_STATE", join(dir, "state"));
  vi.stubEnv("GITHUB_OUTPUT", join(dir, "output"));
  vi.stubEnv("GITHUB_STEP_SUMMARY", join(dir, "summary"));
  vi.stubEnv("INPUT_PLATFORMS", "linux/arm64");
  stdout = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const verified = {
  report: { platforms: [{ platform: "linux/arm64" }] },
  verified: ["linux/arm64"],
  summary: "| platform |",
  warnings: [],
  failures: [],
  state: { kernel: "local", registered: ["aarch64"], cleanup: false },
} as unknown as StepOutcome;

/** The `::error::` lines the step printed, decoded as the runner shows them. */
const errors = () =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("::error"))
    .map((line) =>
      line
        .replace(/^::error[^:]*::/, "")
        .replaceAll("%0A", "\n")
        .replaceAll("%25", "%"),
    );

describe("the main step, through @actions/core", () => {
  it("verified and published: outputs written, the step succeeds", async () => {
    await run({ runStep: async () => verified });
    expect(process.exitCode).toBeUndefined();
    expect(readFileSync(join(dir, "output"), "utf8")).toContain("linux/arm64");
    expect(errors()).toEqual([]);
  });

  it("the builder's name is the output name, as setup-buildx-action's", async () => {
    await run({ runStep: async () => ({ ...verified, name: "qus-1a2b3c" }) });
    expect(readFileSync(join(dir, "output"), "utf8")).toMatch(/^name<<.+\nqus-1a2b3c\n/m);
  });

  it("an input of an earlier version fails the step naming the one that replaced it, before anything runs", async () => {
    vi.stubEnv("INPUT_BUILDER-NAME", "multi");
    let ran = false;
    await run({
      runStep: async () => {
        ran = true;
        return verified;
      },
    });
    expect(ran).toBe(false);
    expect(process.exitCode).toBe(1);
    expect(errors()).toEqual([expect.stringContaining("QUS_USAGE: the input builder-name is gone: it is name now")]);
  });

  it("GITHUB_OUTPUT cannot be written after the platforms were verified: a clean error naming it, exit 1", async () => {
    const missing = join(dir, "gone", "output");
    vi.stubEnv("GITHUB_OUTPUT", missing);
    await run({ runStep: async () => verified });
    expect(process.exitCode).toBe(1);
    const [error, ...more] = errors();
    expect(more).toEqual([]);
    expect(error).toMatch(
      new RegExp(
        `^qus: error QUS_OUTPUT_UNWRITABLE: qus verified linux/arm64, but could not write the step's outputs to the GITHUB_OUTPUT file ${missing}: `,
      ),
    );
    expect(error).toMatch(/\nhint: /);
    expect(error).not.toMatch(/^\s+at /m);
    // The state was saved first: the post step can still clean up.
    expect(readFileSync(join(dir, "state"), "utf8")).toContain("aarch64");
  });

  it("a step that cannot run fails with qus's one rendering of its error: the CLI's code, message and hint", async () => {
    const refused = new QusError("QUS_NOT_ROOT", "binfmt_misc needs root", { hint: "allow passwordless sudo" });
    await run({
      runStep: async () => {
        throw refused;
      },
    });
    expect(process.exitCode).toBe(1);
    expect(errors()).toEqual([renderErrorText(refused)]);
    const { error } = errorDocument(refused);
    expect(errors()[0]).toBe(`qus: error ${error.code}: ${error.message}\nhint: ${error.hint}`);
  });

  it("a bug fails the step with its stack, named unexpected", async () => {
    await run({
      runStep: async () => {
        throw new TypeError("cannot read properties of undefined");
      },
    });
    const [error, ...more] = errors();
    expect(more).toEqual([]);
    expect(error).toMatch(/^qus: unexpected error: TypeError: cannot read properties of undefined\n\s+at /);
  });

  it("a 100 KB input is quoted short in the error", async () => {
    vi.stubEnv("INPUT_KERNEL", "x".repeat(100_000));
    await run({ runStep: async () => verified });
    expect(process.exitCode).toBe(1);
    const [error] = errors();
    expect(error?.length).toBeLessThan(1000);
    expect(error).toContain(`QUS_USAGE: the input kernel is "${"x".repeat(200)}"…(99800 more)`);
  });
});
