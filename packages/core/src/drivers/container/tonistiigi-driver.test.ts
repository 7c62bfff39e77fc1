import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ExecResult } from "../../exec.js";
import { ensure } from "../../operations/ensure.js";
import { verify } from "../../operations/status.js";
import { buildProbe, PROBE_CPUS } from "../../probe/index.js";
import { cliOutcome } from "../../runner/cli-output.js";
import { parseDockerInfo } from "../../runner/docker-cli.js";
import type { ContainerRunner, EngineInfo, RunSpec } from "../../runner/types.js";
import { entryName, type QemuCpu, type Target, targetByCpu } from "../../targets.js";
import { rejection } from "../../test-support.js";
import { parseTonistiigiStatus, TONISTIIGI_IMAGE } from "./tonistiigi.js";
import { createTonistiigiDriver } from "./tonistiigi-driver.js";

const FIXTURES = new URL("../../../test-fixtures/tonistiigi-binfmt/", import.meta.url);

/** A recorded output, without its `# source:` header line. */
function recorded(name: "status.txt" | "install-ok.txt" | "install-failed.txt"): string {
  return readFileSync(new URL(name, FIXTURES), "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("# "))
    .join("\n");
}

// The engine the kernel tests run on, as the docker runner reads its recorded `docker info`.
const ENGINE: EngineInfo = parseDockerInfo(
  readFileSync(new URL("../../../test-fixtures/container/docker-info.json", import.meta.url), "utf8"),
  "the default endpoint",
).info;

// binfmt --version logs to stderr (hand-written in the shape of cmd/binfmt/main.go's log line).
const VERSION_LINE = "binfmt/a161c41 qemu/v7.0.0 go/1.18.3";
// What `docker start --attach` printed here for a probe no entry claims, and for an interpreter not found
// (the real docker engine, recorded with the qus-binfmt image; tonistiigi/binfmt's would say the same).
const EXEC_FORMAT_ERROR = "exec /qus-program: exec format error";
const NOT_FOUND = "exec /qus-program: no such file or directory";

function result(stdout: string, stderr = "", exitCode = 0): ExecResult {
  return { exitCode, signal: undefined, stdout, stderr, startError: undefined, timedOut: false };
}

function target(cpu: string): Target {
  const found = targetByCpu(cpu);
  if (!found) throw new Error(`no target ${cpu}`);
  return found;
}

/** Answers that replace the fake's own: a hung probe, a binfmt run docker could not start. */
interface Overrides {
  readonly probe?: (cpu: QemuCpu) => ExecResult | undefined;
  readonly binfmt?: (spec: RunSpec) => ExecResult | undefined;
  readonly privileged?: boolean;
}

interface FakeOptions {
  /** binfmt's status before: recorded status JSON (the status.txt fixture by default). */
  readonly status?: string;
  /** The recorded output `--install` answers with; its status JSON becomes the status after. */
  readonly install?: "install-ok.txt" | "install-failed.txt";
  /** cpus that run without emulation on the fake engine. */
  readonly native?: readonly QemuCpu[];
  /** cpus whose entry is there but broken (interpreter not found): the probe fails until uninstalled. */
  readonly broken?: readonly QemuCpu[];
}

/**
 * A ContainerRunner that plays tonistiigi/binfmt from its recorded outputs, keeping the emulator list as state
 * (install sets it from the recorded output, uninstall takes names out), and runs probes by that state. Like the
 * real binfmt, it exits 0 whatever happened.
 */
function fakeTonistiigi(options: FakeOptions & Overrides = {}) {
  const state: { supported: string[]; emulators: string[] } = parseTonistiigiStatus(
    options.status ?? recorded("status.txt"),
  );
  const broken = new Set(options.broken ?? []);
  const runs: RunSpec[] = [];
  const results: ExecResult[] = [];
  const probes: { cpu: QemuCpu; spec: Omit<RunSpec, "command" | "entrypoint"> }[] = [];
  const statusJson = () =>
    JSON.stringify({ ...state, emulators: state.emulators.length > 0 ? state.emulators : null }, null, 2);

  function binfmt(spec: RunSpec): ExecResult {
    const [flag, list = ""] = spec.command;
    if (flag === undefined) return result(statusJson());
    if (flag === "--version") return result("", VERSION_LINE);
    if (flag === "--install") {
      if (!options.install) throw new Error("this test expects no install");
      // On a terminal both streams were interleaved: installing: lines are stderr (Go's log), the JSON stdout.
      const lines = recorded(options.install).split("\n");
      const installing = lines.filter((line) => line.startsWith("installing: "));
      const stdout = lines.filter((line) => !line.startsWith("installing: ")).join("\n");
      Object.assign(state, parseTonistiigiStatus(stdout));
      return result(stdout, installing.join("\n"));
    }
    if (flag === "--uninstall") {
      const names = list.split(",");
      state.emulators = state.emulators.filter((name) => !names.includes(name));
      for (const cpu of [...broken]) if (names.includes(entryName(target(cpu)))) broken.delete(cpu);
      return result(statusJson(), names.map((name) => `uninstalling: ${name} OK`).join("\n"));
    }
    throw new Error(`unexpected binfmt command ${spec.command.join(" ")}`);
  }

  const runner: ContainerRunner = {
    name: "fake",
    endpoint: "the default endpoint",
    describePrivilege: (privilege) => (privilege === "full" ? "--privileged" : "--cap-add SYS_ADMIN"),
    buildImage: async () => {
      throw new Error("no image builds here");
    },
    info: async () => ENGINE,
    imageLabels: async () => ({}),
    pull: async () => true,
    async run(spec) {
      runs.push(spec);
      const answer = options.binfmt?.(spec) ?? binfmt(spec);
      results.push(answer);
      // Typed as the docker CLI runner types what its client printed (the answers are docker's).
      return cliOutcome(answer, "docker");
    },
    async runProgram(spec, program) {
      return cliOutcome(probeAnswer(spec, program), "docker");
    },
  };
  function probeAnswer(spec: Omit<RunSpec, "command" | "entrypoint">, program: Uint8Array): ExecResult {
    const cpu = PROBE_CPUS.find((candidate) => Buffer.from(buildProbe(candidate)).equals(Buffer.from(program)));
    if (!cpu) throw new Error("runProgram got a program that is no probe");
    probes.push({ cpu, spec });
    const override = options.probe?.(cpu);
    if (override) return override;
    if (options.native?.includes(cpu)) return result("");
    if (!state.emulators.includes(entryName(target(cpu)))) return result("", EXEC_FORMAT_ERROR, 1);
    if (broken.has(cpu)) return result("", NOT_FOUND, 1);
    return result("");
  }
  const commands = () => runs.map((spec) => spec.command.join(" "));
  return {
    runner,
    runs,
    results,
    probes,
    commands,
    driver: createTonistiigiDriver(runner, TONISTIIGI_IMAGE, ENGINE, {
      privileged: options.privileged ?? false,
      probeTimeoutMs: 20_000,
    }),
  };
}

// status.txt with no entry enabled: binfmt prints `"emulators": null` then.
const NO_EMULATORS = recorded("status.txt").replace(/"emulators": \[[^\]]*\]/, '"emulators": null');

describe("tonistiigi driver (recorded outputs: tonistiigi/binfmt cannot be pulled here)", () => {
  describe("inspect", () => {
    it("maps binfmt's emulators to opaque entries, known by name only", async () => {
      const fake = fakeTonistiigi();
      const inspection = await fake.driver.inspect({ targets: [target("aarch64")], mount: true, verify: true });
      expect(inspection.entries.map((entry) => entry.name)).toEqual([
        "qemu-aarch64",
        "qemu-arm",
        "qemu-i386",
        "qemu-ppc64le",
        "qemu-riscv64",
        "qemu-s390x",
      ]);
      for (const entry of inspection.entries) {
        expect(entry).toEqual({ name: entry.name, enabled: true, interpreter: "", flags: "", offset: 0, opaque: true });
      }
      expect(fake.commands()).toEqual(["", "--version"]);
      for (const spec of fake.runs) {
        // binfmt's CLI mounts binfmt_misc itself.
        expect(spec).toMatchObject({ image: TONISTIIGI_IMAGE, needsBinfmtMount: true, privilege: "least" });
        expect(spec.entrypoint).toBeUndefined();
      }
      expect(inspection.details).toMatchObject({ installer: "tonistiigi/binfmt", qemuVersion: "qemu v7.0.0" });
      expect(inspection.warnings.join(" ")).toContain("entry names only");
    });

    it("probes claimed targets through runner.runProgram, and finds native ones among the unclaimed", async () => {
      const fake = fakeTonistiigi({ native: ["x86_64"], broken: ["riscv64"] });
      const targets = ["aarch64", "riscv64", "mips64el", "x86_64"].map(target);
      const inspection = await fake.driver.inspect({ targets, mount: true, verify: true });

      expect(fake.probes.map((probe) => probe.cpu).sort()).toEqual(["aarch64", "mips64el", "riscv64", "x86_64"]);
      for (const { spec } of fake.probes) {
        // Bounded: the probe's 20 s and 10 s for the container to start. A probe mounts nothing.
        expect(spec).toEqual({
          image: TONISTIIGI_IMAGE,
          needsBinfmtMount: false,
          privilege: "least",
          timeoutMs: 30_000,
        });
      }
      expect([...inspection.probes.keys()].sort()).toEqual(["aarch64", "riscv64"]);
      expect(inspection.probes.get("aarch64")).toMatchObject({ ok: true });
      expect(inspection.probes.get("riscv64")?.ok).toBe(false);
      expect(inspection.probes.get("riscv64")?.reason).toMatch(/^ENOENT/);
      expect([...inspection.native.keys()]).toEqual(["x86_64"]); // mips64el: exec format error, not native
      expect(inspection.interpreters.get("mips64el")?.path).toBe("/usr/bin/qemu-mips64el");
    });

    it("without verify, claimed targets are not probed", async () => {
      const fake = fakeTonistiigi();
      const inspection = await fake.driver.inspect({
        targets: [target("aarch64"), target("mips64el")],
        mount: false,
        verify: false,
      });
      expect(fake.probes.map((probe) => probe.cpu)).toEqual(["mips64el"]);
      expect(inspection.probes.size).toBe(0);
    });
  });

  describe("ensure", () => {
    it("from no emulators: sends --install arm64,riscv64, then proves both", async () => {
      const fake = fakeTonistiigi({ status: NO_EMULATORS, install: "install-ok.txt" });
      const report = await ensure({ platforms: "linux/arm64,linux/riscv64", driver: fake.driver });

      expect(fake.commands()).toEqual(["", "--version", "--install arm64,riscv64", ""]);
      expect(report.ok).toBe(true);
      expect(
        report.platforms.map(({ platform, before, action, after, verified, ok }) => ({
          platform,
          before,
          action,
          after,
          verified,
          ok,
        })),
      ).toEqual([
        { platform: "linux/arm64", before: "absent", action: "register", after: "enabled", verified: true, ok: true },
        { platform: "linux/riscv64", before: "absent", action: "register", after: "enabled", verified: true, ok: true },
      ]);
    });

    it("the failed install output is a per-platform error though binfmt exits 0", async () => {
      const fake = fakeTonistiigi({ status: NO_EMULATORS, install: "install-failed.txt" });
      const report = await ensure({ platforms: "linux/arm64,linux/riscv64", driver: fake.driver });

      const install = fake.runs.findIndex((spec) => spec.command[0] === "--install");
      expect(fake.runs[install]?.command).toEqual(["--install", "arm64,riscv64"]);
      expect(fake.results[install]).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('"supported"') });
      expect(report.ok).toBe(false);
      const [arm64, riscv64] = report.platforms;
      expect(arm64).toMatchObject({ platform: "linux/arm64", action: "register", after: "absent", ok: false });
      expect(arm64?.error?.code).toBe("QUS_KERNEL_WRITE_FAILED");
      expect(arm64?.error?.message).toContain('cannot register "/usr/bin/qemu-aarch64"');
      expect(arm64?.hint).toContain("exit code is 0");
      // The recorded run printed no line for riscv64 (it installed arm64 only): not proven installed.
      expect(riscv64).toMatchObject({ ok: false, error: { code: "QUS_KERNEL_WRITE_FAILED" } });
      expect(riscv64?.error?.message).toContain("no result line");
      // Failed targets are not probed after the install.
      expect(fake.probes.map((probe) => probe.cpu).sort()).toEqual(["aarch64", "riscv64"]);
    });

    it("a probe that fails after an OK line: verified false, not ok", async () => {
      const fake = fakeTonistiigi({ status: NO_EMULATORS, install: "install-ok.txt", broken: ["riscv64"] });
      const report = await ensure({ platforms: "linux/arm64,linux/riscv64", driver: fake.driver });

      expect(report.ok).toBe(false);
      expect(report.platforms[0]).toMatchObject({ platform: "linux/arm64", verified: true, ok: true });
      const riscv64 = report.platforms[1];
      expect(riscv64).toMatchObject({ platform: "linux/riscv64", action: "register", after: "enabled" });
      expect(riscv64).toMatchObject({ verified: false, ok: false });
      expect(riscv64?.error).toBeUndefined();
      expect(riscv64?.verification).toMatch(/^ENOENT/);
    });

    it("an emulator already there whose probe passes: ok, nothing installed", async () => {
      const fake = fakeTonistiigi();
      const report = await ensure({ platforms: "linux/arm64", driver: fake.driver });
      expect(fake.commands()).toEqual(["", "--version"]);
      expect(report.ok).toBe(true);
      expect(report.platforms[0]).toMatchObject({ before: "enabled", action: "ok", after: "enabled", verified: true });
    });

    it("an emulator already there whose probe fails: conflict, left in place", async () => {
      const fake = fakeTonistiigi({ broken: ["aarch64"] });
      const report = await ensure({ platforms: "linux/arm64", driver: fake.driver });
      expect(fake.commands()).toEqual(["", "--version"]);
      expect(report.ok).toBe(false);
      expect(report.platforms[0]).toMatchObject({ action: "conflict", verified: false, ok: false });
      expect(report.platforms[0]?.reasons.join(" ")).toContain("cannot be read here");
      expect(report.platforms[0]?.hint).toContain("--replace");
    });

    it("the same with replace: uninstalls it, installs it again, and proves it", async () => {
      const fake = fakeTonistiigi({ broken: ["aarch64"], install: "install-ok.txt" });
      const report = await ensure({ platforms: "linux/arm64", driver: fake.driver, replace: true });
      expect(fake.commands()).toEqual(["", "--version", "--uninstall qemu-aarch64", "--install arm64", ""]);
      expect(report.ok).toBe(true);
      expect(report.platforms[0]).toMatchObject({ action: "replace", after: "enabled", verified: true, ok: true });
    });
  });

  describe("remove", () => {
    it("uninstalls by name and reads the status to see what went", async () => {
      const fake = fakeTonistiigi();
      const outcome = await fake.driver.remove(["qemu-aarch64", "qemu-riscv64"]);
      expect(fake.commands()).toEqual(["--uninstall qemu-aarch64,qemu-riscv64", ""]);
      expect(outcome.removed).toEqual(["qemu-aarch64", "qemu-riscv64"]);
      expect(outcome.failures.size).toBe(0);
    });

    it("nothing to remove: no container", async () => {
      const fake = fakeTonistiigi();
      expect(await fake.driver.remove([])).toEqual({ removed: [], failures: new Map() });
      expect(fake.runs).toEqual([]);
    });
  });

  describe("what goes wrong around binfmt", () => {
    it("a hung emulator: the probe's container is bounded, and the verdict says timed out: the emulator hung", async () => {
      const fake = fakeTonistiigi({
        probe: (cpu) =>
          cpu === "aarch64"
            ? { exitCode: undefined, signal: "SIGKILL", stdout: "", stderr: "", startError: undefined, timedOut: true }
            : undefined,
      });
      const report = await verify({ platforms: "linux/arm64", driver: fake.driver });
      expect(fake.probes[0]?.spec.timeoutMs).toBe(30_000);
      expect(report.ok).toBe(false);
      expect(report.platforms[0]?.verification).toContain("timed out: the emulator hung");
    });

    it("binfmt's own run outlives its bound: QUS_TIMEOUT, stopped and removed", async () => {
      const fake = fakeTonistiigi({
        binfmt: () => ({
          exitCode: undefined,
          signal: "SIGKILL",
          stdout: "",
          stderr: "",
          startError: undefined,
          timedOut: true,
        }),
      });
      const error = await rejection(fake.driver.inspect({ targets: [target("aarch64")], mount: true, verify: true }));
      expect(error.code).toBe("QUS_TIMEOUT");
      expect(error.message).toContain("did not finish within 60 s");
      expect(fake.runs[0]?.timeoutMs).toBe(60_000);
    });

    it.each([
      [true, /^drop --privileged/],
      [false, /^pass --privileged/],
    ] as const)(
      "the engine refuses the container (privileged %s): QUS_PRIVILEGE_DENIED, hint %s",
      async (privileged, hint) => {
        const fake = fakeTonistiigi({
          privileged,
          binfmt: () =>
            result(
              "",
              "docker: Error response from daemon: unable to apply caps: operation not permitted: unknown.",
              125,
            ),
        });
        const error = await rejection(fake.driver.inspect({ targets: [target("aarch64")], mount: true, verify: true }));
        expect(error.code).toBe("QUS_PRIVILEGE_DENIED");
        expect(error.message).toContain("unable to apply caps");
        expect(error.hint).toMatch(hint);
      },
    );

    it("binfmt could not mount binfmt_misc: the cause from its error line", async () => {
      const fake = fakeTonistiigi({
        binfmt: () =>
          result(
            "",
            "error: operation not permitted\ncannot mount binfmt_misc filesystem at /proc/sys/fs/binfmt_misc\nmain.run",
            1,
          ),
      });
      const error = await rejection(fake.driver.inspect({ targets: [target("aarch64")], mount: true, verify: true }));
      expect(error.code).toBe("QUS_PRIVILEGE_DENIED");
      expect(error.message).toContain("error: operation not permitted");
    });

    it("its container killed mid-run: says it was stopped", async () => {
      const fake = fakeTonistiigi({ binfmt: () => result("", "", 137) });
      const error = await rejection(fake.driver.inspect({ targets: [target("aarch64")], mount: true, verify: true }));
      expect(error.code).toBe("QUS_EXEC_FAILED");
      expect(error.message).toContain("was stopped before it finished (status 137");
    });

    it("an entry still listed after --uninstall, binfmt silent: the failure still says what happened", async () => {
      const fake = fakeTonistiigi({
        binfmt: (spec) => (spec.command[0] === "--uninstall" ? result("", "", 0) : undefined),
      });
      const outcome = await fake.driver.remove(["qemu-aarch64"]);
      expect(outcome.failures.get("qemu-aarch64")?.message).toBe(
        "tonistiigi/binfmt did not remove qemu-aarch64: it is still listed after --uninstall (binfmt printed nothing about it)",
      );
    });
  });
});
