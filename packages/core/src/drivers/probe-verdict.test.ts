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
});
