import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commandProblem, RUN_STATUS, shellStatus } from "./run-status.js";

describe("shellStatus", () => {
  it("passes a status through, whatever it is", () => {
    for (const code of [0, 1, 2, 3, 125, 126, 127, 255]) expect(shellStatus(code, null)).toBe(code);
  });

  it("reports a death by signal as a shell does: 128 + its number", () => {
    expect(shellStatus(null, "SIGTERM")).toBe(143);
    expect(shellStatus(null, "SIGKILL")).toBe(137);
    expect(shellStatus(null, "SIGINT")).toBe(130);
  });

  it("keeps 125-127 as docker run does", () => {
    expect(RUN_STATUS).toEqual({ qusFailed: 125, cannotRun: 126, notFound: 127 });
  });
});

describe("commandProblem: 127 not found, 126 cannot run, before any namespace is made", () => {
  const dir = mkdtempSync(join(tmpdir(), "qus-run-status-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "runs"), "#!/bin/sh\n", { mode: 0o755 });
  writeFileSync(join(bin, "data"), "text\n", { mode: 0o644 });
  mkdirSync(join(bin, "folder"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds a command in PATH or by its path", () => {
    expect(commandProblem("runs", `/nonexistent:${bin}`)).toBeUndefined();
    expect(commandProblem(join(bin, "runs"), "")).toBeUndefined();
  });

  it("127 for a name in no PATH folder, or a path that is not there", () => {
    expect(commandProblem("nope", bin)).toEqual({ status: 127, message: "nope: not found in PATH" });
    expect(commandProblem(join(bin, "nope"), bin)?.status).toBe(127);
  });

  it("126 for a file without its x bit or a folder", () => {
    if (process.getuid?.() !== 0) expect(commandProblem(join(bin, "data"), "")?.status).toBe(126);
    expect(commandProblem("folder", bin)?.status).toBe(126);
    expect(commandProblem("data", bin, () => "not-executable")).toMatchObject({ status: 126 });
  });

  it("a runnable one later in PATH wins over a folder of the same name earlier", () => {
    const verdicts: Record<string, "yes" | "missing" | "not-executable"> = { "/a/x": "not-executable", "/b/x": "yes" };
    expect(commandProblem("x", "/a:/b", (file) => verdicts[file] ?? "missing")).toBeUndefined();
  });
});
