import type { PlatformReport, Report } from "@qus/core";
import { describe, expect, it } from "vitest";
import type { BootstrapReport, PlatformProof } from "./bootstrap.js";
import { renderBootstrap } from "./render.js";

function binfmtPlatform(platform: string, cpu: string, fields: Partial<PlatformReport> = {}): PlatformReport {
  return {
    platform,
    cpu,
    before: "enabled",
    action: "ok",
    after: "enabled",
    verified: true,
    reasons: [],
    ok: true,
    ...fields,
  };
}

function binfmt(platforms: PlatformReport[]): Report {
  return {
    schemaVersion: 1,
    command: "ensure",
    driver: "container",
    dryRun: false,
    ok: platforms.every((p) => p.ok),
    kernel: { release: "6.1.0-test", binfmtMounted: true, mountedByQus: false },
    platforms,
    warnings: [],
  };
}

function report(platforms: PlatformProof[], fields: Partial<BootstrapReport> = {}): BootstrapReport {
  return {
    schemaVersion: 1,
    builder: "default",
    driver: "docker",
    created: false,
    refreshed: false,
    used: false,
    nodes: [
      {
        name: "default",
        status: "running",
        endpoint: "default",
        buildkit: "v0.8+unknown",
        platforms: ["linux/amd64", "linux/arm64", "linux/riscv64"],
        preferred: [],
        errors: [],
      },
    ],
    binfmt: binfmt([binfmtPlatform("linux/arm64", "aarch64"), binfmtPlatform("linux/riscv64", "riscv64")]),
    platforms,
    warnings: [],
    dryRun: false,
    ok: platforms.every((p) => p.proven),
    ...fields,
  };
}

describe("renderBootstrap", () => {
  it("all proven: builder line, node line, binfmt, a row per platform, the verdict", () => {
    const text = renderBootstrap(
      report([
        { platform: "linux/arm64", listed: true, native: false, proven: true },
        { platform: "linux/riscv64", listed: true, native: false, proven: true },
      ]),
    );
    expect(text).toBe(
      [
        "builder default (docker)",
        "  node default: running, v0.8+unknown, 3 platforms listed",
        "binfmt: ok",
        "platform       listed  native  proven",
        "linux/arm64    yes     no      yes",
        "linux/riscv64  yes     no      yes",
        "buildx: all 2 platforms proven",
        "",
      ].join("\n"),
    );
  });

  it("a platform not proven: NO in its row, its reason, the warnings, and a failing verdict", () => {
    const lines = renderBootstrap(
      report(
        [
          {
            platform: "linux/arm64",
            listed: true,
            native: false,
            proven: false,
            reason: "exec format error: no working emulator",
          },
          { platform: "linux/riscv64", listed: true, native: false, proven: true },
        ],
        { warnings: ["linux/arm64 listed by the builder but not working: its list is stale"] },
      ),
    ).split("\n");
    expect(lines[0]).toBe("builder default (docker)");
    expect(lines).toContain("linux/arm64    yes     no      NO");
    expect(lines).toContain("linux/riscv64  yes     no      yes");
    expect(lines).toContain("  linux/arm64: exec format error: no working emulator");
    expect(lines).toContain("warning: linux/arm64 listed by the builder but not working: its list is stale");
    expect(lines.at(-2)).toBe("buildx: some platforms not proven");
  });

  it("a created and refreshed docker-container builder says so; a failing binfmt names its platforms", () => {
    const text = renderBootstrap(
      report([{ platform: "linux/arm/v7", listed: false, native: false, proven: false }], {
        builder: "qus",
        driver: "docker-container",
        created: true,
        refreshed: true,
        nodes: [],
        binfmt: binfmt([binfmtPlatform("linux/arm/v7", "arm", { action: "conflict", ok: false })]),
      }),
    );
    expect(text.split("\n")[0]).toBe("builder qus (docker-container), created, refreshed");
    expect(text).toContain("binfmt: linux/arm/v7 conflict\n");
    expect(text).toContain("  linux/arm/v7: not proven\n");
  });

  it("a dry run is marked in the verdict", () => {
    const text = renderBootstrap(
      report([{ platform: "linux/arm64", listed: false, native: false, proven: false }], { dryRun: true, nodes: [] }),
    );
    expect(text.trimEnd().split("\n").at(-1)).toBe("(dry run) buildx: some platforms not proven");
  });
});
