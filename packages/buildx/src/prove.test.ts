import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Target } from "@qus/core";
import { buildProbe, type ExecResult } from "@qus/core/runner";
import { targetByCpu } from "@qus/core/toolkit";
import { describe, expect, it } from "vitest";
import { type BuildxCli, createBuildxCli, proofBuildArgs, togetherBuildArgs } from "./buildx-command.js";
import { PROOF_DOCKERFILE, probeOutcome } from "./prove.js";
import { probeFileNames, proveMany, TOGETHER_DOCKERFILE } from "./prove-together.js";

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

/** A recorded build output (test-fixtures), without its `# source:` header line. */
function recorded(name: string): string {
  return readFileSync(new URL(`../test-fixtures/${name}`, import.meta.url), "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("# "))
    .join("\n");
}

function item(platform: string, cpu: Parameters<typeof targetByCpu>[0]): { platform: string; target: Target } {
  const target = targetByCpu(cpu);
  if (!target) throw new Error(`no target ${cpu}`);
  return { platform, target };
}

const THREE = [item("linux/arm64", "aarch64"), item("linux/riscv64", "riscv64"), item("linux/s390x", "s390x")];

/** A docker client whose builds answer from `answer` (argv, context dir replaced by `<context>`). */
function fakeCli(answer: (args: readonly string[]) => Partial<ExecResult>) {
  const calls: { args: string[]; timeoutMs?: number; dockerfile: string; probes: Record<string, Buffer> }[] = [];
  const cli: BuildxCli = createBuildxCli(async (_file, argv, options) => {
    const args = argv.slice(1); // without "buildx"
    const dir = args.at(-1) ?? "";
    const dockerfile = readFileSync(join(dir, "Dockerfile"), "utf8");
    const names = readdirSync(dir)
      .filter((name) => name.startsWith("probe"))
      .sort();
    calls.push({
      args: [...args.slice(0, -1), "<context>"],
      timeoutMs: options?.timeoutMs,
      dockerfile,
      probes: Object.fromEntries(names.map((name) => [name, readFileSync(join(dir, name))])),
    });
    return { ...failed(""), exitCode: 0, ...answer(args) };
  });
  return { cli, calls };
}

const PLATFORMS = THREE.map((item) => item.platform);
const probe = (cpu: Target["cpu"]) => Buffer.from(buildProbe(cpu));

describe("proving several platforms with ONE multi-platform build", () => {
  it("TOGETHER_DOCKERFILE: FROM scratch, each platform's build copying its own probe by TARGETARCH and TARGETVARIANT", () => {
    expect(TOGETHER_DOCKERFILE.split("\n")).toEqual([
      "FROM scratch",
      "ARG TARGETARCH",
      "ARG TARGETVARIANT",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax
      "COPY probe-${TARGETARCH}${TARGETVARIANT} /probe",
      'RUN ["/probe"]',
      "",
    ]);
  });

  it("probeFileNames: <arch><variant>, and the spelling BuildKit normalizes to (arm64 = arm64/v8, arm = arm/v7)", () => {
    expect(probeFileNames("linux/riscv64")).toEqual(["probe-riscv64"]);
    expect(probeFileNames("linux/arm64")).toEqual(["probe-arm64", "probe-arm64v8"]);
    expect(probeFileNames("linux/arm64/v8")).toEqual(["probe-arm64v8", "probe-arm64"]);
    expect(probeFileNames("linux/arm/v6")).toEqual(["probe-armv6"]);
    expect(probeFileNames("linux/arm/v7")).toEqual(["probe-armv7", "probe-arm"]);
    expect(probeFileNames("linux/amd64")).toEqual(["probe-amd64", "probe-amd64v1"]);
  });

  it("togetherBuildArgs: every platform in one --platform, no cache, cacheonly output", () => {
    expect(togetherBuildArgs("default", ["linux/amd64", "linux/arm64"], "/tmp/c")).toEqual([
      "build",
      "--builder",
      "default",
      "--platform",
      "linux/amd64,linux/arm64",
      "--no-cache",
      "--progress",
      "plain",
      "--output",
      "type=cacheonly",
      "/tmp/c",
    ]);
  });

  it("the build succeeds (recorded): every platform proven by that one build, each probe under its platform's name", async () => {
    const { cli, calls } = fakeCli(() => ({ stderr: recorded("together-ok.txt") }));
    const proofs = await proveMany(cli, "default", THREE, { timeoutMs: 9_000 });
    expect(proofs).toEqual(THREE.map(({ platform }) => ({ platform, proven: true })));
    expect(calls.map((call) => [call.args, call.timeoutMs])).toEqual([
      [togetherBuildArgs("default", PLATFORMS, "<context>"), 9_000],
    ]);
    expect(calls[0]?.dockerfile).toBe(TOGETHER_DOCKERFILE);
    expect(calls[0]?.probes).toEqual({
      "probe-arm64": probe("aarch64"),
      "probe-arm64v8": probe("aarch64"),
      "probe-riscv64": probe("riscv64"),
      "probe-s390x": probe("s390x"),
    });
  });

  it("each builds alone, not together (recorded: the classic store's docker driver): none proven, buildx's error on each", async () => {
    const refused = recorded("multi-platform-docker-driver.txt");
    const { cli, calls } = fakeCli((args) => (args[4]?.includes(",") ? { exitCode: 1, stderr: refused } : {}));
    const proofs = await proveMany(cli, "default", THREE.slice(0, 2));
    const detail =
      "it builds alone, but the one build of linux/arm64,linux/riscv64 failed: ERROR: Multi-platform build is not supported for the docker driver.";
    expect(proofs).toEqual([
      { platform: "linux/arm64", proven: false, detail, code: "QUS_EXEC_FAILED" },
      { platform: "linux/riscv64", proven: false, detail, code: "QUS_EXEC_FAILED" },
    ]);
    expect(calls.map((call) => call.args[4])).toEqual(["linux/arm64,linux/riscv64", "linux/arm64", "linux/riscv64"]);
  });

  it("the build fails (recorded: one stage's exec format error): one build per platform tells which and why", async () => {
    const { cli, calls } = fakeCli((args) => {
      if (args[4]?.includes(",")) return { exitCode: 1, stderr: recorded("together-exec-format-error.txt") };
      // riscv64's own build fails as its stage did.
      if (args.includes("linux/riscv64")) return { exitCode: 1, stderr: recorded("together-exec-format-error.txt") };
      return {};
    });
    const proofs = await proveMany(cli, "default", THREE);
    expect(proofs).toEqual([
      { platform: "linux/arm64", proven: true },
      {
        platform: "linux/riscv64",
        proven: false,
        failure: "no-handler",
        detail: "exec /probe: exec format error",
        code: "QUS_EXEC_FAILED",
      },
      { platform: "linux/s390x", proven: true },
    ]);
    expect(calls.map((call) => call.args)).toEqual([
      togetherBuildArgs("default", PLATFORMS, "<context>"),
      ...THREE.map(({ platform }) => proofBuildArgs("default", platform, "<context>")),
    ]);
    expect(calls.slice(1).map((call) => call.dockerfile)).toEqual([
      PROOF_DOCKERFILE,
      PROOF_DOCKERFILE,
      PROOF_DOCKERFILE,
    ]);
  });

  it("the build killed at its timeout: one build per platform, the hung one reported as a timeout", async () => {
    const { cli, calls } = fakeCli((args) =>
      args[4]?.includes(",") || args.includes("linux/s390x") ? { exitCode: undefined, timedOut: true } : {},
    );
    const proofs = await proveMany(cli, "default", THREE, { timeoutMs: 1_000 });
    expect(proofs.map((proof) => [proof.platform, proof.proven, proof.failure, proof.code])).toEqual([
      ["linux/arm64", true, undefined, undefined],
      ["linux/riscv64", true, undefined, undefined],
      ["linux/s390x", false, "timeout", "QUS_TIMEOUT"],
    ]);
    expect(calls).toHaveLength(4);
  });

  it("one platform: a build of its own, with PROOF_DOCKERFILE", async () => {
    const one = fakeCli(() => ({}));
    expect(await proveMany(one.cli, "default", THREE.slice(0, 1))).toEqual([{ platform: "linux/arm64", proven: true }]);
    expect(one.calls.map((call) => [call.args, call.dockerfile])).toEqual([
      [proofBuildArgs("default", "linux/arm64", "<context>"), PROOF_DOCKERFILE],
    ]);
  });

  it("the builder gone during the build: QUS_EXEC_FAILED, no build per platform", async () => {
    const { cli, calls } = fakeCli(() => ({ exitCode: 1, stderr: 'ERROR: no builder "qus" found' }));
    await expect(proveMany(cli, "qus", THREE)).rejects.toMatchObject({
      code: "QUS_EXEC_FAILED",
      message: "builder qus was removed by another process while qus was proving it",
    });
    expect(calls).toHaveLength(1);
  });
});
