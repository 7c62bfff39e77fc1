import { describe, expect, it } from "vitest";
import { ownArchitecture } from "../drivers/native-policy.js";
import { requireTarget } from "../targets.js";
import { assembleReport, nativePlatformReport, platformProblems, runsProven } from "./adapter-report.js";
import type { PlatformReport } from "./model.js";
import { commandIn, describeFailure, failureHint, type HintVoice, QUS_VOICE } from "./probe-words.js";

const failedArm64: PlatformReport = {
  platform: "linux/arm64",
  cpu: "aarch64",
  before: "absent",
  action: "register",
  after: "enabled",
  verified: false,
  verification: describeFailure({ failure: "timeout" }),
  failure: "timeout",
  hint: failureHint({ failure: "timeout", platform: "linux/arm64" }),
  reasons: ["no entry"],
  ok: false,
};

describe("the native rule for adapters", () => {
  it("the machine's own cpu is native, named in the reason; every other cpu (compat modes too) is a driver's to judge", () => {
    expect(ownArchitecture("x86_64", "x86_64", "the engine's", "amd64")).toEqual({
      native: true,
      reason: "the engine's own architecture (amd64)",
      hostClaimed: false,
    });
    expect(ownArchitecture("x86_64", "i386", "the engine's")).toBeUndefined();
    expect(ownArchitecture("x86_64", "aarch64")).toBeUndefined();
    expect(ownArchitecture(undefined, "aarch64")).toBeUndefined();
  });
});

describe("report pieces for adapters", () => {
  it("a native platform is core's native line: canonical platform, no probe, ok", () => {
    const line = nativePlatformReport(requireTarget("arm"), "the engine's own architecture (arm)");
    expect(line).toMatchObject({ platform: "linux/arm/v7", cpu: "arm", before: "native", after: "native", ok: true });
    expect(line.verified).toBeNull();
    expect(line.reasons).toEqual(["the engine's own architecture (arm)"]);
  });

  it("an assembled report has schemaVersion 1 and is ok only when every platform is", () => {
    const native = nativePlatformReport(requireTarget("x86_64"), "own");
    const good = assembleReport({ command: "ensure", driver: "x", platforms: [native] });
    expect(good).toMatchObject({ schemaVersion: 1, command: "ensure", ok: true, dryRun: false, warnings: [] });
    expect(good.kernel.release).toBe("");
    const bad = assembleReport({ command: "verify", driver: "x", platforms: [native, failedArm64] });
    expect(bad.ok).toBe(false);
  });

  it("problems are the failed platforms with the report's own reason and hint", () => {
    const native = nativePlatformReport(requireTarget("x86_64"), "own");
    expect(platformProblems({ platforms: [native, failedArm64] })).toEqual([
      { platform: "linux/arm64", message: failedArm64.verification, hint: failedArm64.hint },
    ]);
  });

  it("a platform runs proven when verified or native, not when only registered", () => {
    expect(runsProven(nativePlatformReport(requireTarget("x86_64"), "own"))).toBe(true);
    expect(runsProven({ ...failedArm64, ok: true, verified: true })).toBe(true);
    expect(runsProven({ ...failedArm64, ok: true, verified: null })).toBe(false);
    expect(runsProven(failedArm64)).toBe(false);
  });
});

describe("hints in the calling tool's words", () => {
  const module: HintVoice = { call: "this module's", picksQemu: false };

  it("qus's voice is the default: the same hint with and without it", () => {
    const context = {
      failure: "crashed",
      platform: "linux/riscv64",
      qemuVersion: "qemu-riscv64 version 8.2.2",
    } as const;
    expect(failureHint(context)).toBe(failureHint(context, QUS_VOICE));
    expect(failureHint(context)).toContain("qus ensure --replace --platforms linux/riscv64 --qemu-from debian:trixie");
  });

  it("another tool's commands are named by it, and no option it lacks is suggested", () => {
    const hint = failureHint({ failure: "timeout", platform: "linux/riscv64" }, module);
    expect(hint).toContain("this module's ensure --replace --platforms linux/riscv64");
    expect(hint).not.toContain("--qemu-from");
    expect(hint).not.toMatch(/\bqus ensure/);
    expect(failureHint({ failure: "no-handler", platform: "linux/arm64" }, module)).toBe(
      "register it: this module's ensure --platforms linux/arm64",
    );
    expect(failureHint({ failure: "exit-status", platform: "linux/arm64" }, module)).not.toMatch(/TMPDIR/);
  });

  it("commands are quoted for a shell after the tool's name", () => {
    expect(commandIn(module, ["ensure", "--platforms", "a b"])).toBe("this module's ensure --platforms 'a b'");
  });
});
