import type { PlatformReport, Report } from "@qus/core";
import { describe, expect, it } from "vitest";
import type { BootstrapReport, PlatformProof } from "./bootstrap-report.js";
import { provenReport } from "./proven-report.js";

const registered = (platform: string, cpu: string): PlatformReport => ({
  platform,
  cpu,
  before: "enabled",
  action: "ok",
  after: "enabled",
  verified: true,
  reasons: [],
  ok: true,
});
const binfmt: Report = {
  schemaVersion: 1,
  command: "ensure",
  driver: "docker",
  dryRun: false,
  ok: true,
  kernel: { release: "6.1", binfmtMounted: true, mountedByQus: false },
  platforms: [registered("linux/arm64", "aarch64"), registered("linux/riscv64", "riscv64")],
  warnings: [],
};
const proof = (platform: string, fields: Partial<PlatformProof> = {}): PlatformProof => ({
  platform,
  listed: true,
  native: false,
  proven: true,
  ...fields,
});
const bootstrapped = (platforms: PlatformProof[]): BootstrapReport => ({
  schemaVersion: 1,
  builder: "multi",
  driver: "docker-container",
  created: true,
  refreshed: false,
  used: false,
  nodes: [],
  binfmt,
  nodeBinfmt: [],
  platforms,
  warnings: [],
  dryRun: false,
  ok: platforms.every((p) => p.proven || p.native),
});

describe("provenReport: the kernel's report with the builder's proofs folded in", () => {
  it("a platform the kernel runs but the builder did not build is not ok, with the proof's reason and hint", () => {
    const report = provenReport(
      bootstrapped([
        proof("linux/arm64"),
        proof("linux/riscv64", {
          proven: false,
          failure: "crashed",
          reason: "the emulator crashed",
          hint: "try QEMU 8",
        }),
      ]),
    );
    expect(report.ok).toBe(false);
    expect(report.platforms[0]).toEqual(binfmt.platforms[0]);
    expect(report.platforms[1]).toMatchObject({
      ok: false,
      failure: "crashed",
      verification: "the builder multi did not build it: the emulator crashed",
      hint: "try QEMU 8",
    });
  });

  it("every platform proven: the kernel's report as it was", () => {
    expect(provenReport(bootstrapped([proof("linux/arm64"), proof("linux/riscv64")]))).toEqual(binfmt);
  });
});
