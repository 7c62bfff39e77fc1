import { type PlatformReport, QUS_IMAGE, type Report } from "@qus/core";
import type { EngineInfo } from "@qus/core/runner";
import { describeFailure, failureHint, requireTarget } from "@qus/core/toolkit";
import type { ContainerRuntimeClient } from "testcontainers";
import { describe, expect, it } from "vitest";
import { describeDockerError, isConnectionError } from "./docker-errors.js";
import { describeEndpoint } from "./endpoint.js";
import { engineReport, nativeOnEngine } from "./engine-report.js";
import { engineBinfmtState, failedPlatformsError } from "./errors.js";

const clientAt = (modem: object) =>
  ({
    container: { dockerode: { modem } },
    info: { containerRuntime: { host: "localhost", remoteSocketPath: "/var/run/docker.sock" } },
  }) as unknown as ContainerRuntimeClient;

describe("describeEndpoint: where Testcontainers' client goes, in words", () => {
  it("a unix socket, a TCP host with TLS or without, an SSH host", () => {
    expect(describeEndpoint(clientAt({ socketPath: "/run/user/1000/docker.sock" }))).toBe(
      "unix:///run/user/1000/docker.sock",
    );
    expect(describeEndpoint(clientAt({ host: "10.0.0.5", port: 2376, protocol: "https" }))).toBe(
      "tcp+tls://10.0.0.5:2376",
    );
    expect(describeEndpoint(clientAt({ host: "docker", port: "2375", protocol: "http" }))).toBe("tcp://docker:2375");
    expect(describeEndpoint(clientAt({ host: "builder", protocol: "ssh" }))).toBe("ssh://builder");
  });

  it("falls back to what Testcontainers' info says when the modem names nothing", () => {
    expect(describeEndpoint(clientAt({}))).toBe("localhost (/var/run/docker.sock)");
  });
});

describe("dockerode's errors, in the engine's words", () => {
  it("a refused request: the engine's JSON message", () => {
    const refused = {
      statusCode: 404,
      json: { message: "No such image: x:1" },
      message: "(HTTP code 404) no such image - No such image: x:1 ",
    };
    expect(describeDockerError(refused)).toBe("No such image: x:1");
    expect(isConnectionError(refused)).toBe(false);
  });

  it("a socket that is not there or not allowed: a connection error, its errno named", () => {
    const missing = Object.assign(new Error("connect ENOENT /var/run/docker.sock"), { code: "ENOENT" });
    expect(isConnectionError(missing)).toBe(true);
    expect(describeDockerError(missing)).toBe("connect ENOENT /var/run/docker.sock");
    const denied = Object.assign(new Error("permission denied"), { code: "EACCES" });
    expect(describeDockerError(denied)).toBe("permission denied (EACCES)");
  });
});

describe("failedPlatformsError: one line per platform that cannot run, with its fix", () => {
  const engine: EngineInfo = {
    cpu: "x86_64",
    architecture: "x86_64",
    version: "20.10.24",
    rootless: false,
    userns: false,
    endpoint: "unix:///var/run/docker.sock",
  };
  const platform = (fields: Partial<PlatformReport>): PlatformReport => ({
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
    driver: "testcontainers",
    dryRun: false,
    ok: platforms.every((p) => p.ok),
    kernel: { release: "6.1", binfmtMounted: true, mountedByQus: false },
    platforms,
    warnings: [],
  });

  it("a probe that failed: QUS_VERIFY_FAILED, the verification and the hint; platforms that run are left out", () => {
    const error = failedPlatformsError(
      report([
        platform({}),
        platform({
          platform: "linux/riscv64",
          cpu: "riscv64",
          verified: false,
          verification: "crashed: the emulator was killed by SIGSEGV",
          hint: "install another QEMU",
          ok: false,
        }),
      ]),
      engine,
    );
    expect(error.code).toBe("QUS_VERIFY_FAILED");
    expect(error.message).toBe(
      "these platforms cannot run on the engine at unix:///var/run/docker.sock (x86_64):\n  linux/riscv64: crashed: the emulator was killed by SIGSEGV\n    fix: install another QEMU",
    );
    expect(error.report?.platforms).toHaveLength(2);
  });

  it("a platform's own error gives the error its code", () => {
    const error = failedPlatformsError(
      report([platform({ ok: false, error: { code: "QUS_PRIVILEGE_DENIED", message: "the engine refused" } })]),
      engine,
    );
    expect(error.code).toBe("QUS_PRIVILEGE_DENIED");
    expect(error.kind).toBe("environment");
    expect(error.message).toContain("  linux/arm64: the engine refused");
  });
});

describe("the engine's report: core's native rule, core's model, core's words", () => {
  const engine: EngineInfo = {
    cpu: "x86_64",
    architecture: "amd64",
    version: "27.0.1",
    rootless: false,
    userns: false,
    endpoint: "unix:///var/run/docker.sock",
  };
  const facts = { engine, driver: "testcontainers", verified: new Map(), details: { image: QUS_IMAGE } };
  const arm64: PlatformReport = {
    platform: "linux/arm64",
    cpu: "aarch64",
    before: "absent",
    action: "register",
    after: "enabled",
    verified: false,
    verification: describeFailure({ failure: "no-handler" }),
    failure: "no-handler",
    hint: failureHint({ failure: "no-handler", platform: "linux/arm64" }),
    reasons: [],
    ok: false,
  };

  it("only the engine's own architecture is native; its compat modes (386 on amd64) are for the driver to judge", () => {
    expect(nativeOnEngine(requireTarget("x86_64"), engine)).toBe("the engine's own architecture (amd64)");
    expect(nativeOnEngine(requireTarget("i386"), engine)).toBeUndefined();
    expect(nativeOnEngine(requireTarget("aarch64"), { ...engine, cpu: undefined })).toBeUndefined();
  });

  it("one report for every platform asked, this run's lines and native lines, ok only when all are", () => {
    const ran: Report = {
      schemaVersion: 1,
      command: "ensure",
      driver: "testcontainers",
      dryRun: false,
      ok: false,
      kernel: { release: "6.8.0", binfmtMounted: true, mountedByQus: false },
      platforms: [arm64],
      warnings: ["w"],
    };
    const report = engineReport([requireTarget("x86_64"), requireTarget("aarch64")], facts, ran);
    expect(report).toMatchObject({ schemaVersion: 1, command: "ensure", driver: "testcontainers", ok: false });
    expect(report.driverDetails).toEqual({ image: QUS_IMAGE, endpoint: "unix:///var/run/docker.sock" });
    expect(report.kernel.release).toBe("6.8.0");
    expect(report.warnings).toEqual(["w"]);
    expect(report.platforms.map((platform) => [platform.platform, platform.before, platform.ok])).toEqual([
      ["linux/amd64", "native", true],
      ["linux/arm64", "absent", false],
    ]);
    expect(report.platforms[0]?.reasons).toEqual(["the engine's own architecture (amd64)"]);
  });

  it("a container that did not start is explained with core's reason and core's fix", () => {
    const ran = engineReport([requireTarget("aarch64")], facts, {
      ...engineReport([], facts, undefined),
      platforms: [arm64],
    });
    const state = engineBinfmtState(ran, "aarch64");
    expect(state).toBe(
      `no entry for aarch64 (qemu-aarch64 is not registered): ${describeFailure({ failure: "no-handler" })}\n    fix: ${failureHint({ failure: "no-handler", platform: "linux/arm64" })}`,
    );
    expect(engineBinfmtState({ ...ran, platforms: [{ ...arm64, ok: true }] }, "aarch64")).toBeUndefined();
    expect(engineBinfmtState(new Error("no engine"), "aarch64")).toBe("qus could not look (no engine)");
  });
});
