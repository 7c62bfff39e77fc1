import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isQusError } from "@qus/core";
import { buildExitProgram, buildProbe } from "@qus/core/runner";
import { describeFailure, failureHint } from "@qus/core/toolkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Call, callOf, type FakeEngine, startFakeEngine } from "./fake-engine.js";
import { verifyText } from "./operations.js";
import { workdirProgramFiles } from "./program-file.js";
import { renderEngineReport } from "./render.js";
import { DIRECT_STATUS, verifyOnEngine } from "./verify.js";

/** How the fake engine ends one exec: an exit status (and stderr), or the engine's refusal to start it. */
type Outcome = { readonly status: number; readonly stderr?: string } | { readonly refused: string };

/** Answers as an amd64 engine whose execs end as `outcomes` says, by platform and path. */
function amd64Engine(outcomes: Record<string, Outcome>) {
  return (chain: readonly Call[]) => {
    const last = chain.at(-1)?.field;
    if (last === "defaultPlatform") return "linux/amd64";
    if (last === "version") return "v0.21.9";
    const exec = callOf(chain, "withExec");
    if (!exec) return undefined;
    const platform = String(callOf(chain, "container")?.args.platform);
    const path = (exec.args.args as string[])[0];
    const outcome = outcomes[`${platform} ${path}`];
    if (!outcome) throw new Error(`no outcome for ${platform} ${path}`);
    if (last === "sync") {
      if ("refused" in outcome) throw new Error(outcome.refused);
      return undefined;
    }
    if ("refused" in outcome) throw new Error("read after a refused exec");
    if (last === "exitCode") return outcome.status;
    if (last === "stdout") return "";
    if (last === "stderr") return outcome.stderr ?? "";
    return undefined;
  };
}

let engine: FakeEngine | undefined;
let workdir: string;

beforeEach(async () => {
  workdir = await mkdtemp(join(tmpdir(), "qus-dagger-test-"));
});

afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await rm(workdir, { recursive: true, force: true });
});

async function verifyWith(outcomes: Record<string, Outcome>, platforms: string[], requireHost = false) {
  engine = await startFakeEngine(amd64Engine(outcomes));
  const programFiles = workdirProgramFiles(engine.client, workdir);
  return verifyOnEngine(engine.client, { platforms, programFiles, requireHost });
}

function execChains(fake: FakeEngine): Call[][] {
  return fake.queries.filter((chain) => chain.at(-1)?.field === "sync" && callOf(chain, "withExec"));
}

describe("verifyOnEngine (fake engine session over the SDK's HTTP transport; no Dagger engine runs)", () => {
  it("runs the probe as the only file of an empty container of each platform, unprivileged and never cached", async () => {
    const report = await verifyWith(
      {
        "linux/arm64 /qus-probe": { status: 0 },
        "linux/arm64 /qus-direct": { status: DIRECT_STATUS },
      },
      ["arm64"],
    );
    expect(report.ok).toBe(true);
    const fake = engine as FakeEngine;
    const probe = execChains(fake).find((chain) => callOf(chain, "withFile")?.args.path === "/qus-probe") ?? [];
    // No `from`: the container holds the probe and nothing else.
    expect(probe.map((call) => call.field)).toEqual(["container", "withFile", "withEnvVariable", "withExec", "sync"]);
    expect(callOf(probe, "container")?.args).toEqual({ platform: "linux/arm64" });
    expect(callOf(probe, "withFile")?.args.permissions).toBe(0o755);
    expect(callOf(probe, "withExec")?.args).toEqual({ args: ["/qus-probe"], expect: "ANY" });
    expect(callOf(probe, "withEnvVariable")?.args.name).toBe("QUS_RUN");
    // The file the engine copies is qus's arm64 probe, byte for byte, from the module's working directory.
    const source = fake.resolve(String(callOf(probe, "withFile")?.args.source)) ?? [];
    expect(source.map((call) => call.field)).toEqual(["currentModule", "workdirFile"]);
    const path = String(callOf(source, "workdirFile")?.args.path);
    expect(new Uint8Array(await readFile(join(workdir, path)))).toEqual(buildProbe("aarch64"));
  });

  it("gives every exec a fresh QUS_RUN value, so the engine's cache never answers for the kernel (no engine runs)", async () => {
    await verifyWith(
      {
        "linux/arm64 /qus-probe": { status: 0 },
        "linux/arm64 /qus-direct": { status: DIRECT_STATUS },
        "linux/riscv64 /qus-probe": { status: 0 },
        "linux/riscv64 /qus-direct": { status: DIRECT_STATUS },
      },
      ["arm64", "riscv64"],
    );
    const values = execChains(engine as FakeEngine).map((chain) => callOf(chain, "withEnvVariable")?.args.value);
    expect(values).toHaveLength(4);
    expect(new Set(values).size).toBe(4);
  });

  it("tells the host's kernel from the engine's bundled QEMU by running the engine's own program in the container (no engine runs)", async () => {
    const report = await verifyWith(
      {
        "linux/arm64 /qus-probe": { status: 0 },
        "linux/arm64 /qus-direct": { status: DIRECT_STATUS },
        "linux/riscv64 /qus-probe": { status: 0 },
        "linux/riscv64 /qus-direct": {
          status: 1,
          stderr: "qemu-riscv64: /qus-direct: Invalid ELF image for this architecture",
        },
      },
      ["linux/arm64", "linux/riscv64"],
    );
    const direct = execChains(engine as FakeEngine).find(
      (chain) => callOf(chain, "withFile")?.args.path === "/qus-direct",
    );
    const source = (engine as FakeEngine).resolve(String(callOf(direct ?? [], "withFile")?.args.source)) ?? [];
    const bytes = await readFile(join(workdir, String(callOf(source, "workdirFile")?.args.path)));
    expect(new Uint8Array(bytes)).toEqual(buildExitProgram("x86_64", DIRECT_STATUS));
    expect(report.platforms.map((platform) => [platform.platform, platform.through, platform.ok])).toEqual([
      ["linux/arm64", "host-kernel", true],
      ["linux/riscv64", "engine-qemu", true],
    ]);
    expect(report.restartAdvised).toBe(true);
    expect(report.platforms[1]?.hint).toContain("restart the engine");
    const table = renderEngineReport(report, "table");
    expect(table).toContain("linux/riscv64  engine's QEMU  yes");
    expect(table).toContain("restart the engine after registering");
  });

  it("with requireHost, a platform that runs only through the engine's QEMU fails (no engine runs)", async () => {
    const report = await verifyWith(
      {
        "linux/riscv64 /qus-probe": { status: 0 },
        "linux/riscv64 /qus-direct": { status: 1, stderr: "Invalid ELF image for this architecture" },
      },
      ["riscv64"],
      true,
    );
    expect(report.ok).toBe(false);
    expect(report.platforms[0]?.through).toBe("engine-qemu");
  });

  it("names exec format error as no-handler with core's sentence and core's hint, in the module's words (no engine runs)", async () => {
    const report = await verifyWith(
      {
        "linux/s390x /qus-probe": { refused: 'process "/qus-probe" did not complete: exec format error' },
        "linux/s390x /qus-direct": { status: DIRECT_STATUS },
      },
      ["s390x"],
    );
    expect(report.ok).toBe(false);
    expect(report.platforms[0]).toMatchObject({
      platform: "linux/s390x",
      through: "host-kernel",
      failure: "no-handler",
      verification: describeFailure({ failure: "no-handler", chrooted: true }),
      hint: "register it: this module's ensure --platforms linux/s390x",
    });
    // The same failure gives the same hint in core, only naming the module's function in place of qus's command.
    expect(failureHint({ failure: "no-handler", platform: "linux/s390x" })).toBe(
      "register it: qus ensure --platforms linux/s390x",
    );
  });

  it("a failed probe's line is core's report line: kind, sentence and hint as core words them (no engine runs)", async () => {
    const refused = "exec /qus-probe: no such file or directory";
    const report = await verifyWith(
      {
        "linux/arm64 /qus-probe": { refused },
        "linux/arm64 /qus-direct": { status: DIRECT_STATUS },
      },
      ["arm64"],
    );
    const line = report.platforms[0];
    expect(line?.failure).toBe("interpreter-unreachable");
    expect(line?.verification).toBe(
      describeFailure({ failure: "interpreter-unreachable", detail: refused, chrooted: true }),
    );
    expect(line?.hint).toBe(
      failureHint({ failure: "interpreter-unreachable", platform: "linux/arm64" }).replace(
        "qus ensure",
        "this module's ensure",
      ),
    );
    expect(line).toMatchObject({ before: "unknown", action: "none", after: "unknown", verified: false, ok: false });
    expect(report).toMatchObject({ schemaVersion: 1, command: "verify", driver: "dagger", ok: false });
  });

  it("asks to re-register an entry whose emulator is not reachable inside containers (no engine runs)", async () => {
    const report = await verifyWith(
      {
        "linux/arm64 /qus-probe": { refused: "exec /qus-probe: no such file or directory" },
        "linux/arm64 /qus-direct": { status: DIRECT_STATUS },
      },
      ["arm64"],
    );
    expect(report.platforms[0]).toMatchObject({
      ok: false,
      through: "host-kernel",
      failure: "interpreter-unreachable",
    });
    expect(report.platforms[0]?.hint).toContain("this module's ensure --replace --platforms linux/arm64");
  });

  it("reports a bundled QEMU that crashes as the engine's, with the restart hint (no engine runs)", async () => {
    const report = await verifyWith(
      {
        "linux/arm64 /qus-probe": { status: 139 },
        "linux/arm64 /qus-direct": { status: 1, stderr: "Invalid ELF image for this architecture" },
      },
      ["arm64"],
    );
    expect(report.platforms[0]).toMatchObject({ ok: false, through: "engine-qemu", failure: "crashed" });
    expect(report.platforms[0]?.reason).toMatch(/^the engine's bundled QEMU failed: killed by signal 11/);
  });

  it("says unknown, not the engine's QEMU, when the engine refused the engine's own program (no engine runs)", async () => {
    const report = await verifyWith(
      {
        "linux/ppc64le /qus-probe": { status: 0 },
        "linux/ppc64le /qus-direct": { refused: "failed to mount: operation not permitted" },
      },
      ["ppc64le"],
    );
    expect(report.platforms[0]).toMatchObject({ ok: true, through: "unknown" });
    expect(report.restartAdvised).toBe(false);
  });

  it("runs nothing for the engine's own platform (no engine runs)", async () => {
    const report = await verifyWith({}, ["linux/amd64"]);
    expect(report.platforms).toEqual([
      {
        platform: "linux/amd64",
        cpu: "x86_64",
        before: "native",
        action: "native",
        after: "native",
        verified: null,
        reasons: ["the engine's own architecture (amd64)"],
        ok: true,
        through: "native",
      },
    ]);
    expect(execChains(engine as FakeEngine)).toEqual([]);
  });

  it("verifyText throws QUS_VERIFY_FAILED carrying the table when a platform does not run (no engine runs)", async () => {
    engine = await startFakeEngine(
      amd64Engine({
        "linux/riscv64 /qus-probe": { refused: "exec /qus-probe: exec format error" },
        "linux/riscv64 /qus-direct": { status: DIRECT_STATUS },
      }),
    );
    const programFiles = workdirProgramFiles(engine.client, workdir);
    const error = await verifyText(
      { client: engine.client, programFiles },
      { platforms: ["riscv64"], format: "table", requireHost: false },
    ).catch((caught: unknown) => caught);
    expect(isQusError(error) && error.code).toBe("QUS_VERIFY_FAILED");
    expect(String((error as Error).message)).toContain("verify: 1 of 1 platforms do not run on the Dagger engine");
  });

  it("refuses an unknown platform before any container runs (no engine runs)", async () => {
    await expect(verifyWith({}, ["linux/vax"])).rejects.toMatchObject({ code: "QUS_UNKNOWN_PLATFORM" });
    expect(execChains(engine as FakeEngine)).toEqual([]);
  });
});
