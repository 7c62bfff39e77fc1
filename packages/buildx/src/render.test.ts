import { type PlatformReport, type Report, renderTable } from "@qus/core";
import { describe, expect, it } from "vitest";
import type { BootstrapReport, PlatformProof } from "./bootstrap-report.js";
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
    nodeBinfmt: [],
    platforms,
    warnings: [],
    dryRun: false,
    ok: platforms.every((p) => p.proven),
    ...fields,
  };
}

describe("renderBootstrap", () => {
  it("all proven: builder line, node line, binfmt as core's table, a line per platform, the verdict", () => {
    const text = renderBootstrap(
      report([
        { platform: "linux/arm64", listed: true, native: false, proven: true },
        { platform: "linux/riscv64", listed: true, native: false, proven: true },
      ]),
    );
    const lines = text.split("\n");
    expect(lines.slice(0, 2)).toEqual([
      "builder default (docker)",
      "  node default: running, v0.8+unknown, 3 platforms listed",
    ]);
    expect(text).toContain(renderTable(report([]).binfmt, { color: false }));
    expect(lines.slice(-4)).toEqual([
      "linux/arm64: proven, listed",
      "linux/riscv64: proven, listed",
      "buildx: all 2 platforms proven",
      "",
    ]);
  });

  it("a platform not proven: NOT proven, its reason and hint, the warnings, and a failing verdict", () => {
    const lines = renderBootstrap(
      report(
        [
          {
            platform: "linux/arm64",
            listed: true,
            native: false,
            proven: false,
            failure: "no-handler",
            detail: "exec /probe: exec format error",
            reason: "exec format error: no binfmt_misc handler claims this architecture",
            hint: "register it: qus ensure --platforms linux/arm64",
          },
          { platform: "linux/riscv64", listed: false, native: false, proven: true },
          { platform: "linux/amd64", listed: true, native: true, proven: true },
        ],
        { warnings: ["linux/arm64 listed by the builder but not working: its list is stale"] },
      ),
    ).split("\n");
    expect(lines).toContain(
      "linux/arm64: NOT proven, listed: exec format error: no binfmt_misc handler claims this architecture (exec /probe: exec format error) (hint: register it: qus ensure --platforms linux/arm64)",
    );
    expect(lines).toContain("linux/riscv64: proven, not listed");
    expect(lines).toContain("linux/amd64: proven, native, listed");
    expect(lines).toContain("warning: linux/arm64 listed by the builder but not working: its list is stale");
    expect(lines.at(-2)).toBe("buildx: some platforms not proven");
  });

  it("a detail already in the reason is not repeated", () => {
    const text = renderBootstrap(
      report([
        {
          platform: "linux/arm64",
          listed: true,
          native: false,
          proven: false,
          detail: "ERROR: no match for platform in manifest",
          reason: "ERROR: no match for platform in manifest",
        },
      ]),
    );
    expect(text).toContain("linux/arm64: NOT proven, listed: ERROR: no match for platform in manifest\n");
  });

  it("a created and refreshed docker-container builder says so; a failing binfmt shows core's notes", () => {
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
    expect(text).toMatch(/^linux\/arm\/v7 +enabled +conflict /m);
    expect(text).toContain("ensure: 1 of 1 platforms not ok\n");
    expect(text).toContain("linux/arm/v7: NOT proven, not listed\n");
  });

  it("a dry run is marked in the verdict, and proves nothing", () => {
    const planned = renderBootstrap(
      report([{ platform: "linux/arm64", listed: false, native: false, proven: false }], {
        dryRun: true,
        ok: true,
        nodes: [],
      }),
    );
    expect(planned.trimEnd().split("\n").slice(-2)).toEqual([
      "linux/arm64: to prove",
      "(dry run) buildx: 1 platforms to prove",
    ]);
    const failing = renderBootstrap(
      report([{ platform: "linux/arm64", listed: false, native: false, proven: false }], { dryRun: true, nodes: [] }),
    );
    expect(failing.trimEnd().split("\n").at(-1)).toBe("(dry run) buildx: some platforms not proven");
  });
});

describe("renderBootstrap with what a hostile engine and buildx print", () => {
  it("shows escape sequences in node states, proofs, node errors and warnings escaped, never raw", () => {
    const esc = "\u001b]0;owned\u0007\u001b[2J\u009b31m";
    const text = renderBootstrap(
      report(
        [
          {
            platform: "linux/arm64",
            listed: true,
            native: false,
            proven: false,
            reason: `ERROR: ${esc}`,
            detail: `exit ${esc}`,
            hint: "run again",
          },
        ],
        {
          nodes: [
            {
              name: `n${esc}`,
              status: `running${esc}`,
              endpoint: "default",
              buildkit: `v0.8${esc}`,
              platforms: [],
              preferred: [],
              errors: [],
            },
          ],
          nodeBinfmt: [{ node: "n2", endpoint: "tcp://x", error: { code: "QUS_ENGINE_UNREACHABLE", message: esc } }],
          warnings: [`buildx said ${esc}`],
        },
      ),
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is tested
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text.split("\\x1b]0;owned\\x07\\x1b[2J\\x9b31m").length - 1).toBe(7);
  });
});
