import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isQusError, QUS_IMAGE } from "@qus/core";
import { buildProbe, PROGRAM_PATH } from "@qus/core/runner";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Call, callOf, type FakeEngine, startFakeEngine } from "./fake-engine.js";
import { ensureText, statusText } from "./operations.js";
import { workdirProgramFiles } from "./program-file.js";
import { createDaggerRunner } from "./runner.js";
import { DIRECT_STATUS } from "./verify.js";

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

async function runnerOn(answer: (chain: readonly Call[]) => unknown) {
  engine = await startFakeEngine(answer);
  return createDaggerRunner(engine.client, { programFiles: workdirProgramFiles(engine.client, workdir) });
}

const last = (chain: readonly Call[]) => chain.at(-1)?.field;

describe("createDaggerRunner (fake engine session over the SDK's HTTP transport; no Dagger engine runs)", () => {
  it("reads the engine's machine from its default platform", async () => {
    const runner = await runnerOn((chain) =>
      last(chain) === "defaultPlatform" ? "linux/arm64" : last(chain) === "version" ? "v0.21.9" : undefined,
    );
    expect(await runner.info()).toEqual({
      cpu: "aarch64",
      architecture: "arm64",
      version: "v0.21.9",
      rootless: false,
      userns: false,
      endpoint: "the Dagger engine",
    });
  });

  it("runs a helper with insecureRootCapabilities for full privilege, its entrypoint first, every status an answer", async () => {
    const runner = await runnerOn((chain) => {
      if (last(chain) === "exitCode") return 3;
      if (last(chain) === "stdout") return "done\n";
      if (last(chain) === "stderr") return "warning\n";
      return undefined;
    });
    const result = await runner.run({
      image: "registry.example/qus-binfmt:1",
      entrypoint: "/bin/busybox",
      command: ["sh", "-c", "echo done"],
      needsBinfmtMount: true,
      privilege: "full",
    });
    expect(result).toEqual({ kind: "ran", exitCode: 3, stdout: "done\n", stderr: "warning\n" });
    const exec = (engine as FakeEngine).queries.find((chain) => last(chain) === "sync") ?? [];
    expect(exec.map((call) => call.field)).toEqual(["container", "from", "withEnvVariable", "withExec", "sync"]);
    expect(callOf(exec, "from")?.args).toEqual({ address: "registry.example/qus-binfmt:1" });
    expect(callOf(exec, "withExec")?.args).toEqual({
      args: ["/bin/busybox", "sh", "-c", "echo done"],
      useEntrypoint: false,
      insecureRootCapabilities: true,
      expect: "ANY",
    });
  });

  it("runs an image's own entrypoint when the spec names none, without extra capabilities for least privilege", async () => {
    const runner = await runnerOn((chain) =>
      last(chain) === "exitCode" ? 0 : last(chain) === "sync" ? undefined : "",
    );
    await runner.run({
      image: "tonistiigi/binfmt:x",
      command: ["--version"],
      needsBinfmtMount: false,
      privilege: "least",
    });
    const exec = (engine as FakeEngine).queries.find((chain) => last(chain) === "sync") ?? [];
    expect(callOf(exec, "withExec")?.args).toEqual({
      args: ["--version"],
      useEntrypoint: true,
      insecureRootCapabilities: false,
      expect: "ANY",
    });
    expect(runner.describePrivilege("least")).toBe("withExec without extra capabilities");
  });

  it("reports a signal from a status of 128 + its number, as the engine reports it", async () => {
    const runner = await runnerOn((chain) =>
      last(chain) === "exitCode" ? 139 : last(chain) === "sync" ? undefined : "",
    );
    const result = await runner.run({ image: "x", command: ["y"], needsBinfmtMount: false, privilege: "least" });
    expect(result).toMatchObject({ kind: "ran", exitCode: 139, signal: "signal 11" });
  });

  it("copies a program in byte for byte and runs it as the container's only command", async () => {
    const runner = await runnerOn((chain) =>
      last(chain) === "exitCode" ? 0 : ["stdout", "stderr"].includes(last(chain) ?? "") ? "" : undefined,
    );
    const result = await runner.runProgram(
      { image: "tonistiigi/binfmt:x", needsBinfmtMount: false, privilege: "full" },
      buildProbe("riscv64"),
    );
    expect(result).toEqual({ kind: "ran", exitCode: 0, stdout: "", stderr: "" });
    const fake = engine as FakeEngine;
    const exec = fake.queries.find((chain) => last(chain) === "sync" && callOf(chain, "withExec")) ?? [];
    expect(exec.map((call) => call.field)).toEqual([
      "container",
      "from",
      "withFile",
      "withEnvVariable",
      "withExec",
      "sync",
    ]);
    expect(callOf(exec, "withFile")?.args).toMatchObject({ path: PROGRAM_PATH, permissions: 0o755 });
    expect(callOf(exec, "withExec")?.args).toEqual({
      args: [PROGRAM_PATH],
      insecureRootCapabilities: true,
      expect: "ANY",
    });
    const source = fake.resolve(String(callOf(exec, "withFile")?.args.source)) ?? [];
    const bytes = await readFile(join(workdir, String(callOf(source, "workdirFile")?.args.path)));
    expect(new Uint8Array(bytes)).toEqual(buildProbe("riscv64"));
  });

  it("types an exec the engine could not start for exec format error as not started, exec-format, with its words", async () => {
    const runner = await runnerOn((chain) => {
      if (last(chain) === "sync" && callOf(chain, "withExec")) throw new Error("exec /qus-program: exec format error");
      return undefined;
    });
    const result = await runner.runProgram(
      { image: "x", needsBinfmtMount: false, privilege: "least" },
      buildProbe("s390x"),
    );
    expect(result).toEqual({
      kind: "not-started",
      reason: "exec-format",
      detail: expect.stringContaining("exec /qus-program: exec format error"),
    });
  });

  it("types an exec whose interpreter is not found as not started, not-found", async () => {
    const runner = await runnerOn((chain) => {
      if (last(chain) === "sync" && callOf(chain, "withExec"))
        throw new Error("exec /qus-program: no such file or directory");
      return undefined;
    });
    const result = await runner.runProgram(
      { image: "x", needsBinfmtMount: false, privilege: "least" },
      buildProbe("s390x"),
    );
    expect(result).toMatchObject({ kind: "not-started", reason: "not-found" });
  });

  it("types a refusal of the privilege as not started, refused, with the engine's words (no invented status)", async () => {
    const runner = await runnerOn((chain) => {
      if (last(chain) === "sync" && callOf(chain, "withExec"))
        throw new Error("mount binfmt_misc: operation not permitted");
      return undefined;
    });
    const result = await runner.run({ image: "x", command: ["y"], needsBinfmtMount: true, privilege: "least" });
    expect(result).toEqual({
      kind: "not-started",
      reason: "refused",
      detail: expect.stringContaining("mount binfmt_misc: operation not permitted"),
    });
  });

  it("says timedOut when the engine does not end the exec within its bound (the engine never answers here)", async () => {
    const runner = await runnerOn((chain) => (last(chain) === "sync" ? new Promise(() => {}) : undefined));
    const result = await runner.run({
      image: "x",
      command: ["hang"],
      needsBinfmtMount: false,
      privilege: "least",
      timeoutMs: 50,
    });
    expect(result).toEqual({ kind: "timed-out", stdout: "", stderr: "" });
  });

  it("reads an image's labels, and answers undefined for an image the engine cannot pull", async () => {
    const runner = await runnerOn((chain) => {
      const address = callOf(chain, "from")?.args.address;
      if (last(chain) === "sync" && address === QUS_IMAGE) throw new Error("pull access denied");
      if (last(chain) === "id" && chain.at(-2)?.field === "labels") return [{ id: "label-a" }, { id: "label-b" }];
      const node = callOf(chain, "node")?.args.id;
      if (last(chain) === "name") return node === "label-a" ? "org.opencontainers.image.title" : "org.qus.qemu.version";
      if (last(chain) === "value") return node === "label-a" ? "qus-binfmt" : "qemu-aarch64 version 10.2.3";
      return undefined;
    });
    expect(await runner.imageLabels(QUS_IMAGE)).toBeUndefined();
    expect(await runner.imageLabels("registry.example/qus-binfmt:1")).toEqual({
      "org.opencontainers.image.title": "qus-binfmt",
      "org.qus.qemu.version": "qemu-aarch64 version 10.2.3",
    });
    expect(await runner.pull(QUS_IMAGE)).toBe(false);
  });

  it("turns a session that does not answer into QUS_ENGINE_UNREACHABLE (the fake session is closed)", async () => {
    const runner = await runnerOn(() => undefined);
    await (engine as FakeEngine).close();
    await expect(runner.info()).rejects.toMatchObject({ code: "QUS_ENGINE_UNREACHABLE" });
  });

  it("refuses to build an image: a Dagger engine keeps none", async () => {
    const runner = await runnerOn(() => undefined);
    await expect(runner.buildImage({ contextDir: workdir, tags: [QUS_IMAGE] })).rejects.toMatchObject({
      code: "QUS_USAGE",
    });
  });
});

/**
 * tonistiigi/binfmt's status JSON, in the shape of its recorded outputs (packages/core/test-fixtures/
 * tonistiigi-binfmt/status.txt), for an amd64 host with the given entries.
 */
function binfmtStatus(emulators: readonly string[]): string {
  return JSON.stringify({ supported: ["linux/amd64", "linux/386"], emulators }, null, 2);
}

/** tonistiigi/binfmt, named by the user: never taken by default. */
const TONISTIIGI = "tonistiigi/binfmt:qemu-v10.2.3-68";

/**
 * An amd64 engine whose host kernel starts without entries and gains qemu-aarch64 when tonistiigi/binfmt installs
 * it; the engine itself cached arm64 as missing at its start, so it wraps arm64 containers in its own QEMU.
 */
function tonistiigiEngine() {
  const emulators: string[] = [];
  const binfmtRuns: string[][] = [];
  const outcome = (chain: readonly Call[]) => {
    const args = (callOf(chain, "withExec")?.args.args ?? []) as string[];
    const platform = callOf(chain, "container")?.args.platform;
    const image = callOf(chain, "from")?.args.address;
    if (platform === "linux/arm64") {
      // verify's containers: the probe runs through the engine's QEMU, the engine's own program does not.
      return args[0] === "/qus-direct"
        ? { status: 1, stderr: "Invalid ELF image for this architecture" }
        : { status: 0, stderr: "" };
    }
    if (args[0] === PROGRAM_PATH) {
      // core's probes, in a host-platform container: the host kernel decides.
      return emulators.includes("qemu-aarch64") ? { status: 0, stderr: "" } : { refused: "exec format error" };
    }
    if (image !== undefined) binfmtRuns.push(args);
    if (args[0] === "--install") {
      // Asked once per field the runner reads (sync, exitCode, stdout, stderr): install once.
      if (!emulators.includes("qemu-aarch64")) emulators.push("qemu-aarch64");
      return { status: 0, stderr: "installing: arm64 OK\n", stdout: binfmtStatus(emulators) };
    }
    if (args[0] === "--version") return { status: 0, stderr: "binfmt/a161c41 qemu/v10.2.3 go/1.24\n" };
    return { status: 0, stderr: "", stdout: binfmtStatus(emulators) };
  };
  const answer = (chain: readonly Call[]) => {
    const field = last(chain);
    if (field === "defaultPlatform") return "linux/amd64";
    if (field === "version") return "v0.21.9";
    const address = callOf(chain, "from")?.args.address;
    if (field === "sync" && !callOf(chain, "withExec")) {
      if (address === QUS_IMAGE) throw new Error("pull access denied for qus-binfmt");
      return undefined;
    }
    if (field === "id" && chain.at(-2)?.field === "labels") return [];
    if (!callOf(chain, "withExec")) return undefined;
    const result = outcome(chain);
    if (field === "sync") {
      if ("refused" in result) throw new Error(result.refused);
      return undefined;
    }
    if ("refused" in result) return undefined;
    if (field === "exitCode") return result.status;
    if (field === "stdout") return "stdout" in result ? result.stdout : "";
    if (field === "stderr") return result.stderr;
    return undefined;
  };
  return { answer, binfmtRuns, emulators };
}

describe("ensureText and statusText through core (fake engine playing tonistiigi/binfmt; no Dagger engine, no kernel change)", () => {
  it("registers arm64 through one privileged helper, proves it, and says the engine must restart", async () => {
    const fake = tonistiigiEngine();
    engine = await startFakeEngine(fake.answer);
    const text = await ensureText(
      { client: engine.client, programFiles: workdirProgramFiles(engine.client, workdir) },
      { platforms: ["linux/arm64"], image: TONISTIIGI, replace: false, format: "table" },
    );
    expect(fake.emulators).toEqual(["qemu-aarch64"]);
    expect(fake.binfmtRuns).toContainEqual(["--install", "arm64"]);
    // Every binfmt run had root capabilities: Dagger has nothing less that can mount binfmt_misc.
    const helperExecs = engine.queries.filter(
      (chain) => last(chain) === "sync" && callOf(chain, "from") && callOf(chain, "withExec"),
    );
    expect(helperExecs.length).toBeGreaterThan(0);
    for (const chain of helperExecs) expect(callOf(chain, "withExec")?.args.insecureRootCapabilities).toBe(true);
    expect(text).toMatch(/linux\/arm64\s+absent\s+register\s+enabled\s+yes/);
    expect(text).toContain("linux/arm64  engine's QEMU  yes");
    expect(text).toContain("Restart needed: the host now runs linux/arm64, but this engine keeps using its own QEMU");
  });

  it("fails with both reports when the host kernel cannot run the platform after all", async () => {
    const fake = tonistiigiEngine();
    engine = await startFakeEngine((chain) => {
      // binfmt says OK, yet the probe in the host-platform container still meets no handler.
      if (callOf(chain, "withExec")?.args.args?.toString() === PROGRAM_PATH && last(chain) === "sync")
        throw new Error("exec format error");
      return fake.answer(chain);
    });
    const error = await ensureText(
      { client: engine.client, programFiles: workdirProgramFiles(engine.client, workdir) },
      { platforms: ["arm64"], image: TONISTIIGI, replace: false, format: "table" },
    ).catch((caught: unknown) => caught);
    expect(isQusError(error) && error.code).toBe("QUS_VERIFY_FAILED");
    expect((error as Error).message).toContain("The engine's host kernel:");
    expect((error as Error).message).toContain("exec format error although qemu-aarch64 claims this architecture");
  });

  it("status reads the host's entries and changes nothing", async () => {
    const fake = tonistiigiEngine();
    fake.emulators.push("qemu-aarch64");
    engine = await startFakeEngine(fake.answer);
    const text = await statusText(
      { client: engine.client, programFiles: workdirProgramFiles(engine.client, workdir) },
      { platforms: ["arm64"], image: TONISTIIGI, format: "json" },
    );
    const report = JSON.parse(text) as { driver: string; platforms: { platform: string; after: string }[] };
    expect(report.driver).toBe("dagger");
    expect(report.platforms[0]).toMatchObject({ platform: "linux/arm64", after: "enabled" });
    expect(fake.binfmtRuns.some((args) => args[0] === "--install" || args[0] === "--uninstall")).toBe(false);
  });

  it("with no image: qus's default, pulled; when it cannot be pulled, QUS_IMAGE_MISSING naming it, no tonistiigi/binfmt", async () => {
    const fake = tonistiigiEngine();
    engine = await startFakeEngine(fake.answer);
    const error = await ensureText(
      { client: engine.client, programFiles: workdirProgramFiles(engine.client, workdir) },
      { platforms: ["arm64"], replace: false, format: "table" },
    ).catch((caught: unknown) => caught);
    expect(isQusError(error) && error.code).toBe("QUS_IMAGE_MISSING");
    expect((error as Error).message).toContain(QUS_IMAGE);
    const images = engine.queries.map((chain) => callOf(chain, "from")?.args.address).filter(Boolean);
    expect(images).not.toContain(TONISTIIGI);
    expect(fake.binfmtRuns).toEqual([]);
  });

  it("refuses a bad format before any container runs", async () => {
    engine = await startFakeEngine(() => undefined);
    await expect(
      ensureText({ client: engine.client }, { platforms: ["arm64"], replace: false, format: "yaml" }),
    ).rejects.toMatchObject({ code: "QUS_USAGE" });
    expect(engine.queries).toEqual([]);
    expect(DIRECT_STATUS).toBe(42);
  });
});
