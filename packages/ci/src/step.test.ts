import type { PlatformReport, Report } from "@qus/core";
import { failureHint, whyNotOk } from "@qus/core/toolkit";
import { describe, expect, it } from "vitest";
import { stepVerdict } from "./step.js";

const line = (fields: Partial<PlatformReport>): PlatformReport => ({
  platform: "linux/arm64",
  cpu: "aarch64",
  before: "absent",
  action: "register",
  after: "enabled",
  verified: true,
  reasons: [],
  ok: true,
  ...fields,
});

const report = (platforms: PlatformReport[]): Report => ({
  schemaVersion: 1,
  command: "ensure",
  driver: "local",
  dryRun: false,
  ok: platforms.every((platform) => platform.ok),
  kernel: { release: "6.1", binfmtMounted: true, mountedByQus: false },
  platforms,
  warnings: [],
});

describe("stepVerdict: which platforms run, by core's rules and in core's words", () => {
  const crashed = line({
    platform: "linux/riscv64",
    cpu: "riscv64",
    verified: false,
    failure: "crashed",
    verification: "killed by SIGSEGV: the emulator crashed",
    hint: failureHint({ failure: "crashed", platform: "linux/riscv64" }),
    ok: false,
  });

  it("verified and native platforms run; registered but unproven ones do not count as verified", () => {
    const native = line({ platform: "linux/amd64", cpu: "x86_64", before: "native", after: "native", verified: null });
    const unproven = line({ platform: "linux/s390x", cpu: "s390x", verified: null });
    const verdict = stepVerdict(report([line({}), native, unproven, crashed]));
    expect(verdict.verified).toEqual(["linux/arm64", "linux/amd64"]);
  });

  it("each failure is the report's own reason and hint, as qus ensure prints them", () => {
    const verdict = stepVerdict(report([line({}), crashed]));
    expect(verdict.failures).toEqual([{ platform: "linux/riscv64", message: whyNotOk(crashed), hint: crashed.hint }]);
    expect(verdict.failures[0]?.hint).toContain("qus ensure --replace --platforms linux/riscv64");
  });
});
