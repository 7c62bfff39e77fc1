import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  buildProbe,
  canonicalPlatform,
  type Driver,
  decodeEscaped,
  type Exec,
  type ExecResult,
  entryName,
  type InspectRequest,
  type Interpreter,
  isQusError,
  type ProbeResult,
  parseEntry,
  type QemuCpu,
  TARGETS,
  type Target,
  targetByCpu,
} from "@qus/core";
import { describe, expect, it } from "vitest";
import { bootstrap, requestedPlatforms } from "./bootstrap.js";
import { createArgs, createBuildxCli, inspectArgs, proofBuildArgs, tail } from "./buildx-command.js";
import { PROOF_DOCKERFILE } from "./prove.js";

const FIXTURES = new URL("../test-fixtures/", import.meta.url);

/** A recorded `docker buildx inspect` output, without its `# source:` header line. */
function recorded(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("# "))
    .join("\n");
}

function target(cpu: QemuCpu): Target {
  const found = targetByCpu(cpu);
  if (!found) throw new Error(`no target ${cpu}`);
  return found;
}

const hex = (escaped: string) => Buffer.from(decodeEscaped(escaped)).toString("hex");

describe("requestedPlatforms", () => {
  it("keeps an OCI platform as written: linux/arm/v6 stays linux/arm/v6 (not the arm target's linux/arm/v7)", () => {
    expect(requestedPlatforms("linux/arm/v6")).toEqual([{ platform: "linux/arm/v6", target: target("arm") }]);
  });

  it("lower-cases a platform written in capitals, keeping its variant", () => {
    expect(requestedPlatforms("LINUX/ARM/V6").map((item) => item.platform)).toEqual(["linux/arm/v6"]);
  });

  it("maps short names to the canonical platform: arm64 → linux/arm64, riscv64 → linux/riscv64", () => {
    expect(requestedPlatforms("arm64")).toEqual([{ platform: "linux/arm64", target: target("aarch64") }]);
    expect(requestedPlatforms(["riscv64"]).map((item) => item.platform)).toEqual(["linux/riscv64"]);
  });

  it("dedupes names of the same platform, keeping order, and splits on commas and spaces", () => {
    expect(requestedPlatforms("linux/arm64,arm64 aarch64, riscv64").map((item) => item.platform)).toEqual([
      "linux/arm64",
      "linux/riscv64",
    ]);
    expect(requestedPlatforms(["linux/arm64", "arm64"]).map((item) => item.platform)).toEqual(["linux/arm64"]);
  });

  it("keeps two variants of one target apart: buildx builds them separately", () => {
    expect(requestedPlatforms("linux/arm/v7,linux/arm/v6")).toEqual([
      { platform: "linux/arm/v7", target: target("arm") },
      { platform: "linux/arm/v6", target: target("arm") },
    ]);
  });

  it("all: every target once, as its canonical platform, in the targets' order", () => {
    expect(requestedPlatforms("all")).toEqual(TARGETS.map((t) => ({ platform: canonicalPlatform(t), target: t })));
  });

  it("an unknown platform is a QUS_UNKNOWN_PLATFORM error", () => {
    expect(() => requestedPlatforms("linux/arm65")).toThrow(expect.objectContaining({ code: "QUS_UNKNOWN_PLATFORM" }));
  });
});

describe("buildx argv builders", () => {
  it("createArgs: name, driver, one --driver-opt per option, --use only when asked", () => {
    expect(createArgs("qus", "docker-container", ["image=moby/buildkit:v0.12.5", "network=host"], true)).toEqual([
      "create",
      "--name",
      "qus",
      "--driver",
      "docker-container",
      "--driver-opt",
      "image=moby/buildkit:v0.12.5",
      "--driver-opt",
      "network=host",
      "--use",
    ]);
    expect(createArgs("qus", "docker-container", [], false)).toEqual([
      "create",
      "--name",
      "qus",
      "--driver",
      "docker-container",
    ]);
  });

  it("inspectArgs: inspect --bootstrap NAME", () => {
    expect(inspectArgs("default")).toEqual(["inspect", "--bootstrap", "default"]);
  });

  it("proofBuildArgs: no cache, cacheonly output, plain progress, the context dir last", () => {
    const args = proofBuildArgs("default", "linux/arm64", "/tmp/qus-proof-x");
    expect(args).toEqual([
      "build",
      "--builder",
      "default",
      "--platform",
      "linux/arm64",
      "--no-cache",
      "--progress",
      "plain",
      "--output",
      "type=cacheonly",
      "/tmp/qus-proof-x",
    ]);
    expect(args).toContain("--no-cache");
    expect(args[args.indexOf("--output") + 1]).toBe("type=cacheonly");
    expect(args[args.indexOf("--progress") + 1]).toBe("plain");
    expect(args.at(-1)).toBe("/tmp/qus-proof-x");
  });

  it("PROOF_DOCKERFILE: FROM scratch (works offline), copies the probe, RUNs it in exec form (scratch has no shell)", () => {
    expect(PROOF_DOCKERFILE.split("\n")).toEqual(["FROM scratch", "COPY probe /probe", 'RUN ["/probe"]', ""]);
  });

  it("createBuildxCli: docker [--context C] buildx ...; a missing client or plugin is QUS_ENGINE_UNREACHABLE", async () => {
    const calls: string[][] = [];
    const ok: Exec = async (file, args) => {
      calls.push([file, ...args]);
      return result({});
    };
    await createBuildxCli(ok, "remote").run(["ls"]);
    await createBuildxCli(ok).run(["ls"]);
    expect(calls).toEqual([
      ["docker", "--context", "remote", "buildx", "ls"],
      ["docker", "buildx", "ls"],
    ]);

    const missing: Exec = async () => result({ exitCode: undefined, startError: "ENOENT" });
    await expect(createBuildxCli(missing).run(["ls"])).rejects.toMatchObject({ code: "QUS_ENGINE_UNREACHABLE" });
    const noPlugin: Exec = async () =>
      result({ exitCode: 1, stderr: "docker: 'buildx' is not a docker command.\nSee 'docker --help'" });
    await expect(createBuildxCli(noPlugin).run(["ls"])).rejects.toMatchObject({
      code: "QUS_ENGINE_UNREACHABLE",
      message: "docker buildx is not installed",
    });
  });

  it("tail: the last lines of stderr (stdout when stderr is empty), on one line", () => {
    expect(tail(result({ stderr: "a\nb\nc\nd\n" }))).toBe("b c d");
    expect(tail(result({ stdout: "only\nstdout" }), 1)).toBe("stdout");
  });
});

function result(fields: Partial<ExecResult>): ExecResult {
  return { exitCode: 0, signal: undefined, stdout: "", stderr: "", startError: undefined, timedOut: false, ...fields };
}

/** What the docker client was asked, and what a proof build's context held at the time. */
interface DockerCall {
  readonly file: string;
  /** argv, the proof context dir (random) replaced with `<context>`. */
  readonly args: string[];
  readonly context?: { dockerfile: string; probe: Uint8Array; executable: boolean };
}

/**
 * A recording stand-in for the docker CLI: no engine involved. `answer` gives each call's result from its argv;
 * answers are recorded outputs (the inspect fixtures) or what buildx prints on a failed build.
 */
function recordedDocker(answer: (args: readonly string[], calls: readonly DockerCall[]) => Partial<ExecResult>) {
  const calls: DockerCall[] = [];
  const exec: Exec = async (file, args) => {
    const reply = answer(args, calls);
    if (args.includes("build")) {
      const dir = args.at(-1) ?? "";
      calls.push({
        file,
        args: [...args.slice(0, -1), "<context>"],
        context: {
          dockerfile: readFileSync(join(dir, "Dockerfile"), "utf8"),
          probe: new Uint8Array(readFileSync(join(dir, "probe"))),
          executable: (statSync(join(dir, "probe")).mode & 0o111) === 0o111,
        },
      });
    } else {
      calls.push({ file, args: [...args] });
    }
    return result(reply);
  };
  return { exec, calls };
}

const build = (builder: string, platform: string) => [
  "buildx",
  "build",
  "--builder",
  builder,
  "--platform",
  platform,
  "--no-cache",
  "--progress",
  "plain",
  "--output",
  "type=cacheonly",
  "<context>",
];

/** What a proof build prints when the kernel has no working emulator for the platform (the RUN step's exec fails). */
const EXEC_FORMAT_ERROR = [
  '#5 [2/2] RUN ["/probe"]',
  "#5 0.052 exec /probe: exec format error",
  '#5 ERROR: process "/probe" did not complete successfully: exit code: 1',
  "------",
  ' > [2/2] RUN ["/probe"]:',
  "0.052 exec /probe: exec format error",
  "------",
  'ERROR: failed to solve: process "/probe" did not complete successfully: exit code: 1',
].join("\n");

/**
 * A binfmt {@link Driver} whose kernel already has QEMU's entry for each cpu, registered as qus wants it (flags
 * OCF, interpreter /usr/bin/qemu-<cpu>-static), with passing probes: ensure() plans `ok` and never applies.
 */
function readyKernel(cpus: readonly QemuCpu[]) {
  const requests: InspectRequest[] = [];
  const entries = cpus.map((cpu) => {
    const t = target(cpu);
    return parseEntry(
      entryName(t),
      `enabled\ninterpreter /usr/bin/qemu-${cpu}-static\nflags: OCF\noffset 0\nmagic ${hex(t.magic)}\nmask ${hex(t.mask)}\n`,
    );
  });
  const driver: Driver = {
    name: "fake",
    async inspect(request) {
      requests.push(request);
      return {
        kernel: { release: "6.1.0-test", binfmtMounted: true, mountedByQus: false },
        entries,
        native: new Map<QemuCpu, string>(),
        interpreters: new Map<QemuCpu, Interpreter>(
          cpus.map((cpu) => [cpu, { path: `/usr/bin/qemu-${cpu}-static`, static: true }]),
        ),
        probes: new Map<QemuCpu, ProbeResult>(cpus.map((cpu) => [cpu, { ok: true }])),
        qemuVersions: new Map<string, string>(),
        warnings: [],
      };
    },
    async apply() {
      throw new Error("apply called: the fake kernel is already as wanted");
    },
    async remove() {
      throw new Error("remove called");
    },
  };
  return { driver, requests };
}

describe("bootstrap with a recorded docker CLI (mock: no engine involved)", () => {
  it("docker driver: ensures binfmt without changes, inspects --bootstrap default, then one proof build per platform", async () => {
    const kernel = readyKernel(["aarch64", "riscv64"]);
    const docker = recordedDocker((args) =>
      args[1] === "inspect" ? { stdout: recorded("inspect-default-docker.txt") } : {},
    );
    const report = await bootstrap({
      platforms: "linux/arm64,riscv64",
      exec: docker.exec,
      binfmtDriver: kernel.driver,
    });

    expect(docker.calls.map((call) => call.file)).toEqual(["docker", "docker", "docker"]);
    expect(docker.calls.map((call) => call.args)).toEqual([
      ["buildx", "inspect", "--bootstrap", "default"],
      build("default", "linux/arm64"),
      build("default", "linux/riscv64"),
    ]);
    // Each build's context: the proof Dockerfile and the platform's own probe, executable.
    expect(docker.calls[1]?.context).toEqual({
      dockerfile: PROOF_DOCKERFILE,
      probe: buildProbe("aarch64"),
      executable: true,
    });
    expect(docker.calls[2]?.context?.probe).toEqual(buildProbe("riscv64"));

    expect(kernel.requests).toEqual([{ targets: [target("aarch64"), target("riscv64")], mount: true, verify: true }]);
    expect(report.binfmt.ok).toBe(true);
    expect(report.binfmt.platforms.map((p) => p.action)).toEqual(["ok", "ok"]);
    expect(report).toMatchObject({
      schemaVersion: 1,
      builder: "default",
      driver: "docker",
      created: false,
      refreshed: false,
      dryRun: false,
      warnings: [],
      ok: true,
    });
    expect(report.nodes.map((node) => [node.name, node.buildkit])).toEqual([["default", "v0.8+unknown"]]);
    expect(report.platforms).toEqual([
      { platform: "linux/arm64", listed: true, native: false, proven: true, reason: undefined },
      { platform: "linux/riscv64", listed: true, native: false, proven: true, reason: undefined },
    ]);
  });

  it("a failing proof build (exec format error) is not proven, with the reason, and the report is not ok", async () => {
    const kernel = readyKernel(["aarch64", "riscv64"]);
    const docker = recordedDocker((args) => {
      if (args[1] === "inspect") return { stdout: recorded("inspect-default-docker.txt") };
      if (args.includes("linux/arm64")) return { exitCode: 1, stderr: EXEC_FORMAT_ERROR };
      return {};
    });
    const report = await bootstrap({
      platforms: "linux/arm64,riscv64",
      exec: docker.exec,
      binfmtDriver: kernel.driver,
    });

    const arm64 = report.platforms[0];
    expect(arm64).toMatchObject({ platform: "linux/arm64", listed: true, proven: false });
    expect(arm64?.reason).toMatch(/^exec format error: no working emulator/);
    expect(arm64?.reason).toContain("exec /probe: exec format error");
    expect(report.platforms[1]).toMatchObject({ platform: "linux/riscv64", proven: true });
    expect(report.binfmt.ok).toBe(true);
    expect(report.ok).toBe(false);
  });

  it("docker driver: a listed platform that fails gets a warning that the builder's list is stale, and no restart", async () => {
    const kernel = readyKernel(["aarch64"]);
    const docker = recordedDocker((args) =>
      args[1] === "inspect"
        ? { stdout: recorded("inspect-default-docker.txt") }
        : { exitCode: 1, stderr: EXEC_FORMAT_ERROR },
    );
    const report = await bootstrap({ platforms: "arm64", exec: docker.exec, binfmtDriver: kernel.driver });

    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain("linux/arm64 listed by the builder but not working");
    expect(report.warnings[0]).toContain("stale");
    expect(report.refreshed).toBe(false);
    expect(docker.calls.map((call) => call.args)).toEqual([
      ["buildx", "inspect", "--bootstrap", "default"],
      build("default", "linux/arm64"),
    ]);
  });

  it("an unlisted platform that fails gets no stale warning; one that is proven but unlisted does", async () => {
    // linux/mips64le is not in the recorded default builder's list.
    const kernel = readyKernel(["mips64el"]);
    const failing = recordedDocker((args) =>
      args[1] === "inspect"
        ? { stdout: recorded("inspect-default-docker.txt") }
        : { exitCode: 1, stderr: EXEC_FORMAT_ERROR },
    );
    const failed = await bootstrap({ platforms: "linux/mips64le", exec: failing.exec, binfmtDriver: kernel.driver });
    expect(failed.platforms).toMatchObject([{ platform: "linux/mips64le", listed: false, proven: false }]);
    expect(failed.warnings).toEqual([]);

    const passing = recordedDocker((args) =>
      args[1] === "inspect" ? { stdout: recorded("inspect-default-docker.txt") } : {},
    );
    const proven = await bootstrap({ platforms: "linux/mips64le", exec: passing.exec, binfmtDriver: kernel.driver });
    expect(proven.platforms).toMatchObject([{ platform: "linux/mips64le", listed: false, proven: true }]);
    expect(proven.ok).toBe(true);
    expect(proven.warnings).toEqual(["linux/mips64le proven but not listed: the builder's platform list is stale"]);
  });

  it("docker-container: a listed platform that fails makes it run buildx stop <name>, bootstrap again and prove again", async () => {
    const kernel = readyKernel(["arm"]);
    let builds = 0;
    const docker = recordedDocker((args) => {
      if (args[1] === "inspect") return { stdout: recorded("inspect-docs-elated-tesla.txt") };
      if (args[1] === "build") return ++builds === 1 ? { exitCode: 1, stderr: EXEC_FORMAT_ERROR } : {};
      return {};
    });
    const report = await bootstrap({
      platforms: "linux/arm/v7",
      driver: "docker-container",
      builder: "elated_tesla",
      exec: docker.exec,
      binfmtDriver: kernel.driver,
    });

    expect(docker.calls.map((call) => call.args)).toEqual([
      ["buildx", "inspect", "elated_tesla"],
      ["buildx", "inspect", "--bootstrap", "elated_tesla"],
      build("elated_tesla", "linux/arm/v7"),
      ["buildx", "stop", "elated_tesla"],
      ["buildx", "inspect", "--bootstrap", "elated_tesla"],
      build("elated_tesla", "linux/arm/v7"),
    ]);
    expect(report).toMatchObject({
      builder: "elated_tesla",
      driver: "docker-container",
      created: false,
      refreshed: true,
      warnings: [],
      ok: true,
    });
    // linux/arm/v7 is listed unstarred: the toolkit alone would have lost it.
    expect(report.platforms).toMatchObject([{ platform: "linux/arm/v7", listed: true, proven: true }]);
    expect(report.nodes[0]?.preferred).toEqual(["linux/arm64"]);
  });

  it("docker-container: a builder that does not exist is created (with --use asked, made current after bootstrap)", async () => {
    const kernel = readyKernel(["arm"]);
    const docker = recordedDocker((args) => {
      if (args.join(" ") === "buildx inspect elated_tesla")
        return { exitCode: 1, stderr: 'ERROR: no builder "elated_tesla" found' };
      if (args[1] === "inspect") return { stdout: recorded("inspect-docs-elated-tesla.txt") };
      return {};
    });
    const report = await bootstrap({
      platforms: "linux/arm/v6",
      driver: "docker-container",
      builder: "elated_tesla",
      driverOpts: ["network=host"],
      use: true,
      exec: docker.exec,
      binfmtDriver: kernel.driver,
    });

    expect(docker.calls.map((call) => call.args)).toEqual([
      ["buildx", "inspect", "elated_tesla"],
      ["buildx", "create", "--name", "elated_tesla", "--driver", "docker-container", "--driver-opt", "network=host"],
      ["buildx", "inspect", "--bootstrap", "elated_tesla"],
      ["buildx", "use", "elated_tesla"],
      build("elated_tesla", "linux/arm/v6"),
    ]);
    expect(report).toMatchObject({ created: true, refreshed: false, ok: true });
  });

  it("a named builder with the docker driver is a usage error raised before binfmt is touched", async () => {
    const kernel = readyKernel(["aarch64"]);
    const docker = recordedDocker(() => ({}));
    const error = await bootstrap({
      platforms: "arm64",
      builder: "qus",
      exec: docker.exec,
      binfmtDriver: kernel.driver,
    }).catch((e: unknown) => e);
    expect(isQusError(error) && error.code).toBe("QUS_USAGE");
    expect(kernel.requests).toEqual([]);
    expect(docker.calls).toEqual([]);
  });

  it("dry run: binfmt planned read-only, and the docker client is not called at all", async () => {
    const kernel = readyKernel(["aarch64"]);
    const docker = recordedDocker(() => ({}));
    const report = await bootstrap({
      platforms: "arm64",
      dryRun: true,
      exec: docker.exec,
      binfmtDriver: kernel.driver,
    });
    expect(docker.calls).toEqual([]);
    expect(kernel.requests).toMatchObject([{ mount: false, verify: false }]);
    expect(report).toMatchObject({ dryRun: true, ok: true, builder: "default", nodes: [] });
    expect(report.platforms).toEqual([{ platform: "linux/arm64", listed: false, native: false, proven: false }]);
  });
});
