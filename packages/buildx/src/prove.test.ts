import type { ExecResult } from "@qus/core";
import { describe, expect, it } from "vitest";
import { probeOutcome } from "./prove.js";

/**
 * The failing step of proof builds, recorded on this machine (docker 20.10.24, its built-in BuildKit v0.8, buildx
 * 0.13.1) with `--progress plain`: x86_64 probes made to fail on purpose (an unknown e_machine; `exit(3)`; `ud2`).
 */
const BUILDKIT_08 = (output: string, code: number) =>
  [
    '#5 [2/2] RUN ["/probe"]',
    ...(output ? [`#5 0.710 ${output}`] : []),
    `#5 ERROR: executor failed running [/probe]: exit code: ${code}`,
    "------",
    ' > [2/2] RUN ["/probe"]:',
    ...(output ? [`0.710 ${output}`] : []),
    "------",
    `ERROR: failed to solve: executor failed running [/probe]: exit code: ${code}`,
  ].join("\n");

/** The same step as newer BuildKit (0.10 and later) words it. */
const BUILDKIT_NEW = (output: string, code: number) =>
  [
    '#5 [2/2] RUN ["/probe"]',
    `#5 0.052 ${output}`,
    `#5 ERROR: process "/probe" did not complete successfully: exit code: ${code}`,
    "------",
    ' > [2/2] RUN ["/probe"]:',
    `0.052 ${output}`,
    "------",
    `ERROR: failed to solve: process "/probe" did not complete successfully: exit code: ${code}`,
  ].join("\n");

const failed = (stderr: string): ExecResult => ({
  exitCode: 1,
  signal: undefined,
  stdout: "",
  stderr,
  startError: undefined,
  timedOut: false,
});

describe("probeOutcome: how a proof build's RUN step failed, as core's kinds", () => {
  it.each([
    ["BuildKit 0.8", BUILDKIT_08],
    ["BuildKit 0.10+", BUILDKIT_NEW],
  ])("%s: the runtime's exec errors are no-handler and interpreter-unreachable", (_, step) => {
    expect(probeOutcome(failed(step("exec /probe: exec format error", 1)))).toEqual({
      failure: "no-handler",
      detail: "exec /probe: exec format error",
    });
    expect(probeOutcome(failed(step("exec /probe: no such file or directory", 1)))).toEqual({
      failure: "interpreter-unreachable",
      detail: "exec /probe: no such file or directory",
    });
  });

  it("an exit status: exit-status with the status; 128 + N: crashed by signal N", () => {
    expect(probeOutcome(failed(BUILDKIT_08("", 3)))).toEqual({ failure: "exit-status", detail: "status 3" });
    expect(probeOutcome(failed(BUILDKIT_08("", 132)))).toEqual({ failure: "crashed", detail: "SIGILL" });
    expect(probeOutcome(failed(BUILDKIT_NEW("qemu: uncaught target signal 11 (Segmentation fault)", 139)))).toEqual({
      failure: "crashed",
      detail: "SIGSEGV",
    });
  });

  it("another exec error keeps its words in the detail", () => {
    expect(probeOutcome(failed(BUILDKIT_NEW("exec /probe: permission denied", 1)))).toEqual({
      failure: "exit-status",
      detail: "status 1: exec /probe: permission denied",
    });
  });

  it("a build that failed before the probe ran has no kind: buildx's own error line", () => {
    const stderr = [
      "#1 [internal] load build definition from Dockerfile",
      "ERROR: failed to solve: failed to load LLB: runtime execution on platform linux/s390x not supported",
    ].join("\n");
    expect(probeOutcome(failed(stderr))).toEqual({
      detail: "ERROR: failed to solve: failed to load LLB: runtime execution on platform linux/s390x not supported",
    });
  });
});
