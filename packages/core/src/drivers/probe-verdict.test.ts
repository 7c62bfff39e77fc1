import { describe, expect, it } from "vitest";
import type { ExecResult } from "../exec.js";
import { describeProbeRun } from "./probe-verdict.js";

const ended = (result: Partial<ExecResult>): ExecResult => ({
  exitCode: undefined,
  signal: undefined,
  stdout: "",
  stderr: "",
  startError: undefined,
  timedOut: false,
  ...result,
});

describe("describeProbeRun", () => {
  it("a probe run directly that cannot start for ENOENT: its entry's interpreter is missing", () => {
    expect(describeProbeRun(ended({ startError: "ENOENT" }), false)).toMatchObject({
      ok: false,
      failure: "interpreter-unreachable",
    });
  });

  it("chrooted, ENOENT may be chroot itself: not said to be the interpreter", () => {
    expect(describeProbeRun(ended({ startError: "ENOENT" }), true)).toMatchObject({
      ok: false,
      failure: "exit-status",
      detail: "could not start: ENOENT",
    });
  });

  it("exit 0 is ok, a signal a crash, a timeout a timeout", () => {
    expect(describeProbeRun(ended({ exitCode: 0 }), true).ok).toBe(true);
    expect(describeProbeRun(ended({ signal: "SIGILL" }), true).failure).toBe("crashed");
    expect(describeProbeRun(ended({ timedOut: true, signal: "SIGKILL" }), true).failure).toBe("timeout");
  });

  it("a container run is judged by its outcome's kind alone, never by the words in it", () => {
    // The runner typed it: whatever the engine said, exec-format is no handler, not-found the interpreter.
    const words = "the engine's own words, in any language";
    expect(describeProbeRun({ kind: "not-started", reason: "exec-format", detail: words }, true).failure).toBe(
      "no-handler",
    );
    expect(describeProbeRun({ kind: "not-started", reason: "not-found", detail: words }, true)).toMatchObject({
      failure: "interpreter-unreachable",
      detail: words,
    });
    expect(describeProbeRun({ kind: "not-started", reason: "refused", detail: words }, true)).toMatchObject({
      failure: "exit-status",
      detail: `could not start: ${words}`,
    });
    // A probe that ran and printed those words itself ran: its status is the verdict.
    const ran = { kind: "ran", exitCode: 1, stdout: "", stderr: "exec /qus-program: exec format error" } as const;
    expect(describeProbeRun(ran, true)).toMatchObject({
      failure: "exit-status",
      detail: "status 1: exec /qus-program: exec format error",
    });
    expect(describeProbeRun({ kind: "ran", exitCode: 0, stdout: "", stderr: "" }, true).ok).toBe(true);
    expect(
      describeProbeRun({ kind: "ran", exitCode: 139, signal: "signal 11", stdout: "", stderr: "" }, true).failure,
    ).toBe("crashed");
    expect(describeProbeRun({ kind: "timed-out", stdout: "", stderr: "" }, true).failure).toBe("timeout");
  });
});
