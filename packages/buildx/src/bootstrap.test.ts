import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Driver, isQusError, type QemuCpu, QUS_IMAGE, QusError, TARGETS, type Target } from "@qus/core";
import { buildProbe, type Exec, type ExecResult, type ProbeResult } from "@qus/core/runner";
import {
  canonicalPlatform,
  decodeEscaped,
  describeFailure,
  entryName,
  failureHint,
  formatCommand,
  type InspectRequest,
  type Interpreter,
  parseEntry,
  targetByCpu,
} from "@qus/core/toolkit";
import { describe, expect, it } from "vitest";
import { bootstrap } from "./bootstrap.js";
import { isPullFailure } from "./builder-lifecycle.js";
import { createArgs, createBuildxCli, DEFAULT_TIMEOUTS, inspectArgs, proofBuildArgs, tail } from "./buildx-command.js";
import { BUILDER_NAME, validateBuilderName } from "./input-checks.js";
import { PROOF_DOCKERFILE } from "./prove.js";
import { TOGETHER_DOCKERFILE } from "./prove-together.js";
import { requestedPlatforms } from "./requested-platforms.js";

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
    await createBuildxCli(ok, "remote").run(["ls"], { timeoutMs: 1000 });
    await createBuildxCli(ok).run(["ls"], { timeoutMs: 1000 });
    expect(calls).toEqual([
      ["docker", "--context", "remote", "buildx", "ls"],
      ["docker", "buildx", "ls"],
    ]);

    const missing: Exec = async () => result({ exitCode: undefined, startError: "ENOENT" });
    await expect(createBuildxCli(missing).run(["ls"], { timeoutMs: 1000 })).rejects.toMatchObject({
      code: "QUS_ENGINE_UNREACHABLE",
    });
    const noPlugin: Exec = async () =>
      result({ exitCode: 1, stderr: "docker: 'buildx' is not a docker command.\nSee 'docker --help'" });
    await expect(createBuildxCli(noPlugin).run(["ls"], { timeoutMs: 1000 })).rejects.toMatchObject({
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
  readonly timeoutMs?: number;
  /** A proof of one platform has `probe`; the build that proves several at once has `probes` (`probe-<arch>`). */
  readonly context?: {
    dockerfile: string;
    probe?: Uint8Array;
    probes?: Record<string, Uint8Array>;
    executable: boolean;
  };
}

/** What `docker info --format '{{json .}}'` prints, cut to what qus reads: an engine with the classic image store. */
const ENGINE_INFO = JSON.stringify({
  ServerVersion: "20.10.24",
  DriverStatus: [
    ["Backing Filesystem", "extfs"],
    ["Supports d_type", "true"],
  ],
  ClientInfo: { Context: "default" },
});
/** The same of an engine with the containerd image store: its docker driver builds several platforms at once. */
const CONTAINERD_INFO = JSON.stringify({
  ServerVersion: "27.3.1",
  DriverStatus: [["driver-type", "io.containerd.snapshotter.v1"]],
  ClientInfo: { Context: "default" },
});
const INFO = ["info", "--format", "{{json .}}"];

/**
 * A recording stand-in for the docker CLI: no engine involved. `answer` gives each call's result from its argv;
 * answers are recorded outputs (the inspect fixtures) or what buildx prints on a failed build. `docker info` answers
 * as a running engine unless `answer` says otherwise.
 */
function recordedDocker(
  answer: (args: readonly string[], calls: readonly DockerCall[]) => Partial<ExecResult>,
  engine: Partial<ExecResult> = { stdout: ENGINE_INFO },
) {
  const calls: DockerCall[] = [];
  const exec: Exec = async (file, args, options) => {
    const reply = args.includes("info") && !args.includes("buildx") ? engine : answer(args, calls);
    const timeoutMs = options?.timeoutMs;
    if (args.includes("build")) {
      const dir = args.at(-1) ?? "";
      const files = readdirSync(dir)
        .filter((name) => name.startsWith("probe"))
        .sort();
      const named = files.filter((name) => name !== "probe");
      const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
      calls.push({
        file,
        args: [...args.slice(0, -1), "<context>"],
        timeoutMs,
        context: {
          dockerfile: readFileSync(join(dir, "Dockerfile"), "utf8"),
          ...(files.includes("probe")
            ? { probe: read("probe") }
            : { probes: Object.fromEntries(named.map((name) => [name, read(name)])) }),
          executable: files.every((name) => (statSync(join(dir, name)).mode & 0o111) === 0o111),
        },
      });
    } else {
      calls.push({ file, args: [...args], timeoutMs });
    }
    return result(reply);
  };
  return { exec, calls };
}

/** The one multi-platform build that proves several platforms at once. */
const together = (builder: string, platforms: readonly string[]) => [
  "buildx",
  "build",
  "--builder",
  builder,
  "--platform",
  platforms.join(","),
  "--no-cache",
  "--progress",
  "plain",
  "--output",
  "type=cacheonly",
  "<context>",
];

/** Whether argv is the build that proves several platforms at once. */
const isTogether = (args: readonly string[]) =>
  args[1] === "build" && (args[args.indexOf("--platform") + 1] ?? "").includes(",");

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
  it("docker driver on the containerd store: ensures binfmt without changes, inspects --bootstrap default, then ONE multi-platform proof build", async () => {
    const kernel = readyKernel(["aarch64", "riscv64"]);
    const docker = recordedDocker(
      (args) => (args[1] === "inspect" ? { stdout: recorded("inspect-default-docker.txt") } : {}),
      { stdout: CONTAINERD_INFO },
    );
    const report = await bootstrap({
      platforms: "linux/arm64,riscv64",
      exec: docker.exec,
      binfmtDriver: kernel.driver,
    });

    expect(docker.calls.map((call) => call.file)).toEqual(["docker", "docker", "docker"]);
    expect(docker.calls.map((call) => call.args)).toEqual([
      INFO,
      ["buildx", "inspect", "--bootstrap", "default"],
      together("default", ["linux/arm64", "linux/riscv64"]),
    ]);
    // The build's context: each platform's own probe under the name its TARGETARCH/TARGETVARIANT picks, executable.
    expect(docker.calls[2]?.context).toEqual({
      dockerfile: TOGETHER_DOCKERFILE,
      probes: {
        "probe-arm64": buildProbe("aarch64"),
        "probe-arm64v8": buildProbe("aarch64"),
        "probe-riscv64": buildProbe("riscv64"),
      },
      executable: true,
    });

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
      { platform: "linux/arm64", listed: true, native: false, proven: true },
      { platform: "linux/riscv64", listed: true, native: false, proven: true },
    ]);
  });

  it("docker driver: bootstraps the builder alongside the binfmt ensure (the engine's BuildKit needs nothing from it)", async () => {
    const kernel = readyKernel(["aarch64"]);
    const docker = recordedDocker((args) =>
      args[1] === "inspect" ? { stdout: recorded("inspect-default-docker.txt") } : {},
    );
    let bootstrapping = false;
    const driver: Driver = {
      ...kernel.driver,
      async inspect(request) {
        bootstrapping = docker.calls.some((call) => call.args.includes("--bootstrap"));
        return kernel.driver.inspect(request);
      },
    };
    const report = await bootstrap({ platforms: "arm64", exec: docker.exec, binfmtDriver: driver });
    expect(bootstrapping).toBe(true);
    expect(report.ok).toBe(true);
    // binfmt unchanged: the builder's list read alongside is the one reported, not read again.
    expect(docker.calls.filter((call) => call.args.includes("--bootstrap"))).toHaveLength(1);
    expect(report.platforms).toEqual([{ platform: "linux/arm64", listed: true, native: false, proven: true }]);
  });

  it("docker driver: when the binfmt ensure fails, its error is the one thrown (the bootstrap alongside is awaited)", async () => {
    let answered = false;
    const docker = recordedDocker((args) => {
      if (args[1] !== "inspect") return {};
      answered = true;
      return { exitCode: 1, stderr: "ERROR: something else" };
    });
    const down = new QusError("QUS_BINFMT_DISABLED", "binfmt_misc is switched off");
    const driver: Driver = {
      ...readyKernel(["aarch64"]).driver,
      async inspect() {
        throw down;
      },
    };
    const error = await failure(bootstrap({ platforms: "arm64", exec: docker.exec, binfmtDriver: driver }));
    expect(error).toBe(down);
    expect(answered).toBe(true);
    expect(docker.calls.some((call) => call.args[1] === "build")).toBe(false);
  });

  it("a failing proof build (exec format error) is not proven, with the reason, and the report is not ok", async () => {
    const kernel = readyKernel(["aarch64", "riscv64"]);
    const docker = recordedDocker(
      (args) => {
        if (args[1] === "inspect") return { stdout: recorded("inspect-default-docker.txt") };
        if (isTogether(args) || args.includes("linux/arm64")) return { exitCode: 1, stderr: EXEC_FORMAT_ERROR };
        return {};
      },
      { stdout: CONTAINERD_INFO },
    );
    const report = await bootstrap({
      platforms: "linux/arm64,riscv64",
      exec: docker.exec,
      binfmtDriver: kernel.driver,
    });

    // The build of all platforms failed: one build per platform tells which, and why.
    expect(docker.calls.map((call) => call.args)).toEqual([
      INFO,
      ["buildx", "inspect", "--bootstrap", "default"],
      together("default", ["linux/arm64", "linux/riscv64"]),
      build("default", "linux/arm64"),
      build("default", "linux/riscv64"),
    ]);
    expect(docker.calls[3]?.context).toEqual({
      dockerfile: PROOF_DOCKERFILE,
      probe: buildProbe("aarch64"),
      executable: true,
    });
    expect(docker.calls[4]?.context?.probe).toEqual(buildProbe("riscv64"));

    const arm64 = report.platforms[0];
    expect(arm64).toMatchObject({
      platform: "linux/arm64",
      listed: true,
      proven: false,
      failure: "no-handler",
      detail: "exec /probe: exec format error",
      code: "QUS_EXEC_FAILED",
    });
    // Core's words for the kind, from the entry binfmt reported (enabled, OCF, QEMU's static interpreter).
    const context = {
      failure: "no-handler",
      detail: "exec /probe: exec format error",
      chrooted: true,
      platform: "linux/arm64",
      entry: { name: "qemu-aarch64", interpreter: "/usr/bin/qemu-aarch64-static", flags: "OCF", enabled: true },
    } as const;
    expect(arm64?.reason).toBe(describeFailure(context));
    expect(arm64?.hint).toBe(failureHint(context));
    expect(arm64?.hint).toContain("qus ensure --replace --platforms linux/arm64");
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
      INFO,
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
      INFO,
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

  it("docker-container with nodes on other engines: binfmt is ensured on each other engine once, one failing alone", async () => {
    const kernel = readyKernel(["aarch64"]);
    const inspect = [
      "Name:          multi",
      "Driver:        docker-container",
      "",
      "Nodes:",
      "Name:          multi0",
      "Endpoint:      unix:///var/run/docker.sock",
      "Status:        running",
      "Platforms:     linux/amd64*, linux/arm64",
      "",
      "Name:          multi1",
      "Endpoint:      arm-box",
      "Status:        running",
      "Platforms:     linux/arm64*",
      "",
      "Name:          multi2",
      "Endpoint:      arm-box",
      "Status:        running",
      "Platforms:     linux/arm64*",
      "",
      "Name:          multi3",
      "Endpoint:      tcp://gone.example:2376",
      "Status:        running",
      "Platforms:     linux/amd64*",
      "",
    ].join("\n");
    const docker = recordedDocker((args) => (args[1] === "inspect" ? { stdout: inspect } : {}), {
      stdout: JSON.stringify({ ID: "MAIN", ServerVersion: "20.10.24", ClientInfo: { Context: "default" } }),
    });
    // Each endpoint's engine says who it is: the socket is the main engine again, arm-box another, gone.example none.
    const ids: Record<string, Partial<ExecResult>> = {
      "unix:///var/run/docker.sock": { stdout: JSON.stringify({ ID: "MAIN", ServerVersion: "20.10.24" }) },
      "arm-box": { stdout: JSON.stringify({ ID: "ARM", ServerVersion: "24.0.7" }) },
      "tcp://gone.example:2376": { exitCode: 1, stderr: "Cannot connect to the Docker daemon" },
    };
    const exec: Exec = async (file, args, options) => {
      const answer =
        (args[0] === "--host" || args[0] === "--context") && args[2] === "info" ? ids[args[1] ?? ""] : undefined;
      return answer ? result(answer) : docker.exec(file, args, options);
    };
    const asked: string[] = [];
    const report = await bootstrap({
      platforms: "linux/arm64",
      driver: "docker-container",
      builder: "multi",
      exec,
      binfmtDriver: kernel.driver,
      nodeBinfmtDriver: (endpoint) => {
        asked.push(endpoint);
        if (endpoint.startsWith("tcp://")) throw new QusError("QUS_ENGINE_UNREACHABLE", `cannot reach ${endpoint}`);
        return readyKernel(["aarch64"]).driver;
      },
    });
    expect(asked).toEqual(["arm-box", "tcp://gone.example:2376"]);
    expect(
      report.nodeBinfmt.map(({ node, endpoint, report: nodeReport, error }) => [
        node,
        endpoint,
        nodeReport?.ok,
        error?.code,
      ]),
    ).toEqual([
      ["multi1", "arm-box", true, undefined],
      ["multi3", "tcp://gone.example:2376", undefined, "QUS_ENGINE_UNREACHABLE"],
    ]);
    expect(report.platforms).toMatchObject([{ platform: "linux/arm64", proven: true }]);
    expect(report.ok).toBe(false);
  });

  it("docker-container: a builder that does not exist is created with a node of this run's own, and made current only once every platform is proven", async () => {
    const kernel = readyKernel(["arm"]);
    const buildx = fakeBuildx();
    const report = await bootstrap({
      platforms: "linux/arm/v6",
      driver: "docker-container",
      builder: "elated_tesla",
      driverOpts: ["network=host"],
      use: true,
      exec: buildx.exec,
      binfmtDriver: kernel.driver,
    });

    const node = buildx.builders.get("elated_tesla")?.node ?? "";
    expect(node).toMatch(/^elated_tesla-qus-[0-9a-f]{8}$/);
    expect(buildx.calls.map((call) => call.args)).toEqual([
      INFO,
      ["buildx", "inspect", "elated_tesla"],
      [
        "buildx",
        "create",
        "--name",
        "elated_tesla",
        "--node",
        node,
        "--driver",
        "docker-container",
        "--driver-opt",
        "network=host",
      ],
      ["buildx", "inspect", "--bootstrap", "elated_tesla"],
      build("elated_tesla", "linux/arm/v6"),
      ["buildx", "use", "elated_tesla"],
    ]);
    expect(report).toMatchObject({ created: true, refreshed: false, used: true, ok: true, warnings: [] });
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
    // Only the engine was asked its context (the docker driver's builder is named after it).
    expect(docker.calls.map((call) => call.args)).toEqual([INFO]);
  });

  it("dry run: binfmt planned read-only; the docker client is asked nothing but docker info", async () => {
    const kernel = readyKernel(["aarch64"]);
    const docker = recordedDocker(() => ({}));
    const report = await bootstrap({
      platforms: "arm64",
      dryRun: true,
      exec: docker.exec,
      binfmtDriver: kernel.driver,
    });
    expect(docker.calls.map((call) => call.args)).toEqual([INFO]);
    expect(kernel.requests).toMatchObject([{ mount: false, verify: false }]);
    expect(report).toMatchObject({ dryRun: true, ok: true, builder: "default", nodes: [] });
    expect(report.platforms).toEqual([{ platform: "linux/arm64", listed: false, native: false, proven: false }]);
  });

  it("the docker driver's builder is the client's current context (docker info), not a fixed 'default'", async () => {
    const kernel = readyKernel(["aarch64"]);
    const docker = recordedDocker(
      (args) => (args[1] === "inspect" ? { stdout: recorded("inspect-default-docker.txt") } : {}),
      { stdout: JSON.stringify({ ServerVersion: "27.0.1", ClientInfo: { Context: "ci-remote" } }) },
    );
    const report = await bootstrap({ platforms: "arm64", exec: docker.exec, binfmtDriver: kernel.driver });
    expect(report.builder).toBe("ci-remote");
    expect(docker.calls[1]?.args).toEqual(["buildx", "inspect", "--bootstrap", "ci-remote"]);
  });
});

/** A builder in the fake buildx store. */
interface FakeBuilder {
  readonly driver: string;
  readonly node: string;
}

/**
 * A stand-in for docker buildx that keeps a store of builders, as buildx does: create adds one (refusing an existing
 * name), rm removes it, inspect prints it. `hook` answers a call first (undefined: the store answers).
 */
function fakeBuildx(
  options: {
    readonly builders?: Record<string, FakeBuilder>;
    readonly hook?: (args: readonly string[], store: Map<string, FakeBuilder>) => Partial<ExecResult> | undefined;
    readonly engine?: Partial<ExecResult>;
  } = {},
) {
  const builders = new Map<string, FakeBuilder>(Object.entries(options.builders ?? {}));
  const notFound = (name: string | undefined) => ({ exitCode: 1, stderr: `ERROR: no builder "${name}" found` });
  const recorder = recordedDocker((argv) => {
    const args = argv[0] === "--context" ? argv.slice(2) : argv;
    const hooked = options.hook?.(args, builders);
    if (hooked) return hooked;
    const [, command, ...rest] = args;
    const name = rest.at(-1);
    switch (command) {
      case "inspect": {
        const builder = name === undefined ? undefined : builders.get(name);
        if (!builder) return notFound(name);
        const status = rest.includes("--bootstrap") ? "running" : "inactive";
        const platforms =
          status === "running" ? "linux/amd64*, linux/arm64, linux/riscv64, linux/arm/v7, linux/arm/v6" : "";
        return {
          stdout: `Name:          ${name}\nDriver:        ${builder.driver}\n\nNodes:\nName:          ${builder.node}\nEndpoint:      unix:///var/run/docker.sock\nStatus:        ${status}\nBuildKit:      v0.12.5\nPlatforms:     ${platforms}\n`,
        };
      }
      case "create": {
        const value = (flag: string) => rest[rest.indexOf(flag) + 1] ?? "";
        const created = value("--name");
        if (builders.has(created))
          return {
            exitCode: 1,
            // What buildx 0.13 says to a create with --node of a name that exists (recorded on this engine).
            stderr: `ERROR: node ${value("--node")} not found, did you mean to append?`,
          };
        builders.set(created, {
          driver: value("--driver"),
          node: rest.includes("--node") ? value("--node") : `${created}0`,
        });
        return { stdout: created };
      }
      case "rm":
        if (name === undefined || !builders.delete(name)) return notFound(name);
        return { stderr: `${name} removed` };
      case "stop":
      case "use":
      case "build":
        return name !== undefined && command === "build" && !builders.has(args[3] ?? "") ? notFound(args[3]) : {};
      default:
        return {};
    }
  }, options.engine);
  return { ...recorder, builders };
}

/** What buildx prints when the docker-container driver's image cannot be pulled (recorded on this engine, offline). */
const PULL_FAILURE = [
  "#1 [internal] booting buildkit",
  "#1 pulling image moby/buildkit:buildx-stable-1 done",
  '#1 ERROR: Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host',
  "------",
  " > [internal] booting buildkit:",
  "------",
  'ERROR: Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host',
].join("\n");

const failsToBootstrap = (args: readonly string[]) =>
  args[1] === "inspect" && args.includes("--bootstrap") ? { exitCode: 1, stderr: PULL_FAILURE } : undefined;

async function failure(run: Promise<unknown>): Promise<QusError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isQusError(error)) throw new Error(`expected a QusError, got ${String(error)}`);
  return error;
}

describe("input is checked before anything runs (finding 1)", () => {
  it.each([["bad name;$(id)"], ["-qus"], ["1builder"], [""], ["x y"], ["qus\nrm"], ["näme"]])(
    "--name %j is QUS_USAGE naming it, with no process run and binfmt untouched",
    async (name) => {
      const kernel = readyKernel(["aarch64"]);
      const buildx = fakeBuildx();
      const error = await failure(
        bootstrap({
          platforms: "arm64",
          driver: "docker-container",
          builder: name,
          exec: buildx.exec,
          binfmtDriver: kernel.driver,
        }),
      );
      expect(error.code).toBe("QUS_USAGE");
      expect(error.message).toContain(JSON.stringify(name));
      expect(error.hint ?? "").not.toContain(name || "\u0000");
      expect(buildx.calls).toEqual([]);
      expect(kernel.requests).toEqual([]);
    },
  );

  it("buildx's own rule: a letter, then letters, digits, '.', '-', '_'", () => {
    for (const name of ["qus", "Qus", "a", "my.builder-1_x", "builder_0a1b"])
      expect(validateBuilderName(name)).toBe(name);
    expect(BUILDER_NAME.source).toBe("^[a-zA-Z][a-zA-Z0-9._-]*$");
  });

  it.each([
    [[""], "docker-container"],
    [["network"], "docker-container"],
    [["=host"], "docker-container"],
    [["image=x\nnetwork=host"], "docker-container"],
    [["network=host"], "docker"],
  ] as const)("--driver-opt %j with the %s driver is QUS_USAGE before any process", async (driverOpts, driver) => {
    const kernel = readyKernel(["aarch64"]);
    const buildx = fakeBuildx();
    const error = await failure(
      bootstrap({ platforms: "arm64", driver, driverOpts, exec: buildx.exec, binfmtDriver: kernel.driver }),
    );
    expect(error.code).toBe("QUS_USAGE");
    expect(error.message).toContain("--driver-opt");
    expect(buildx.calls).toEqual([]);
  });

  it.each([[""], [","], [" , ,"], [["", ","]]])(
    "--platforms %j (no platform at all) is QUS_USAGE",
    async (platforms) => {
      const buildx = fakeBuildx();
      const error = await failure(bootstrap({ platforms, exec: buildx.exec, binfmtDriver: readyKernel([]).driver }));
      expect(error.code).toBe("QUS_USAGE");
      expect(error.message).toMatch(/no platforms given/);
      expect(buildx.calls).toEqual([]);
    },
  );

  it("repeated, spaced and duplicate platforms add up once each; empty items are skipped", () => {
    expect(requestedPlatforms(["linux/arm64,,", " arm64 ", "riscv64", "linux/riscv64"]).map((p) => p.platform)).toEqual(
      ["linux/arm64", "linux/riscv64"],
    );
  });

  it("an existing builder of another driver is QUS_USAGE, before binfmt is touched, and it is left alone", async () => {
    const kernel = readyKernel(["aarch64"]);
    const buildx = fakeBuildx({ builders: { default: { driver: "docker", node: "default" } } });
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "default",
        exec: buildx.exec,
        binfmtDriver: kernel.driver,
      }),
    );
    expect(error.code).toBe("QUS_USAGE");
    expect(error.message).toBe("builder default exists with the docker driver, not docker-container");
    expect(kernel.requests).toEqual([]);
    expect(buildx.calls.map((call) => call.args)).toEqual([INFO, ["buildx", "inspect", "default"]]);
  });

  it("a --context that does not exist is QUS_USAGE naming it", async () => {
    const docker = recordedDocker(() => ({}), {
      exitCode: 1,
      stderr:
        'Failed to initialize: unable to resolve docker endpoint: context "nope": context not found: open /root/.docker/contexts/meta/x/meta.json: no such file or directory',
    });
    const error = await failure(
      bootstrap({ platforms: "arm64", context: "nope", exec: docker.exec, binfmtDriver: readyKernel([]).driver }),
    );
    expect(error.code).toBe("QUS_USAGE");
    expect(error.message).toBe('--context "nope": no such docker context');
  });
});

describe("hints and messages quote every command for a POSIX shell (finding 1)", () => {
  it("the --context value and the driver options are quoted in the hint of a failed create", async () => {
    const buildx = fakeBuildx({
      hook: (args) => (args.includes("create") ? { exitCode: 1, stderr: "ERROR: something odd" } : undefined),
    });
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "b1",
        context: "my ctx;$(id)",
        driverOpts: ["env.http_proxy=http://proxy:3128 $(id)"],
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(error.code).toBe("QUS_EXEC_FAILED");
    const node = /--node (\S+)/.exec(error.hint ?? "")?.[1] ?? "";
    expect(error.hint).toBe(
      `see what buildx says: docker --context 'my ctx;$(id)' buildx create --name b1 --node ${node} --driver docker-container --driver-opt 'env.http_proxy=http://proxy:3128 $(id)'`,
    );
  });

  it("a timeout names the command, quoted", async () => {
    const docker = recordedDocker((args) =>
      args.includes("--bootstrap") ? { exitCode: undefined, signal: "SIGKILL", timedOut: true } : {},
    );
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        context: "it's",
        exec: docker.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(error.code).toBe("QUS_TIMEOUT");
    expect(error.message).toBe(
      "docker --context 'it'\\''s' buildx inspect --bootstrap 'it'\\''s' did not finish within 300 s and was killed",
    );
  });
});

describe("a builder this run created and that then fails is removed; no other builder ever is (finding 2)", () => {
  it("created, then its bootstrap fails (no registry for moby/buildkit): removed, QUS_IMAGE_MISSING saying so", async () => {
    const buildx = fakeBuildx({ hook: failsToBootstrap });
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "half",
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(error.code).toBe("QUS_IMAGE_MISSING");
    expect(error.message).toMatch(
      /^could not bootstrap builder half: its BuildKit image moby\/buildkit:buildx-stable-1 cannot be pulled: /,
    );
    expect(error.message).toMatch(/; builder half, created by this run, was removed again$/);
    expect(buildx.builders.has("half")).toBe(false);
    expect(buildx.calls.map((call) => call.args.slice(0, 3)).slice(-2)).toEqual([
      ["buildx", "inspect", "half"],
      ["buildx", "rm", "half"],
    ]);
  });

  it("a builder that existed before and fails to bootstrap is never removed", async () => {
    const buildx = fakeBuildx({
      builders: { mine: { driver: "docker-container", node: "mine0" } },
      hook: failsToBootstrap,
    });
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "mine",
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(error.code).toBe("QUS_IMAGE_MISSING");
    expect(error.message).not.toMatch(/removed/);
    expect(buildx.builders.get("mine")).toEqual({ driver: "docker-container", node: "mine0" });
    expect(buildx.calls.some((call) => call.args.includes("rm"))).toBe(false);
  });

  it("--replace restarts an existing builder, never removes it", async () => {
    const buildx = fakeBuildx({ builders: { mine: { driver: "docker-container", node: "mine0" } } });
    const report = await bootstrap({
      platforms: "arm64",
      driver: "docker-container",
      builder: "mine",
      replace: true,
      exec: buildx.exec,
      binfmtDriver: readyKernel(["aarch64"]).driver,
    });
    expect(report).toMatchObject({ ok: true, created: false, refreshed: true });
    expect(buildx.calls.map((call) => call.args[1])).toEqual(["--format", "inspect", "stop", "inspect", "build"]);
    expect(buildx.builders.get("mine")).toEqual({ driver: "docker-container", node: "mine0" });
  });

  it("a concurrent run that created the same name first: this run uses it and never removes it, even when it fails", async () => {
    let lookups = 0;
    const buildx = fakeBuildx({
      hook: (args, store) => {
        // The other run's create lands between this run's look-up and its own create.
        if (args.join(" ") === "buildx inspect shared" && lookups++ === 0) {
          store.set("shared", { driver: "docker-container", node: "shared-qus-0therrun" });
          return { exitCode: 1, stderr: 'ERROR: no builder "shared" found' };
        }
        return failsToBootstrap(args);
      },
    });
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "shared",
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(error.code).toBe("QUS_IMAGE_MISSING");
    expect(error.message).not.toMatch(/removed/);
    expect(buildx.builders.get("shared")?.node).toBe("shared-qus-0therrun");
    expect(buildx.calls.some((call) => call.args.includes("rm"))).toBe(false);
  });

  it("a concurrent run's builder that came and went between look-up and create: this run creates its own", async () => {
    let creates = 0;
    const buildx = fakeBuildx({
      hook: (args) => {
        // The other run's builder exists at this run's first create and is gone (removed by it) right after.
        if (args[1] === "create" && creates++ === 0) {
          return { exitCode: 1, stderr: "ERROR: node gone-qus-1234abcd not found, did you mean to append?" };
        }
        return failsToBootstrap(args);
      },
    });
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "gone",
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(creates).toBe(2);
    expect(error.code).toBe("QUS_IMAGE_MISSING");
    expect(error.message).toContain("builder gone, created by this run, was removed again");
  });

  it("created, then replaced by another process's builder of that name before the failure: left in place", async () => {
    const buildx = fakeBuildx({
      hook: (args, store) => {
        if (args.includes("--bootstrap")) {
          // Someone removed ours and made theirs under the same name.
          store.set("raced", { driver: "docker-container", node: "raced0" });
          return { exitCode: 1, stderr: PULL_FAILURE };
        }
        return undefined;
      },
    });
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "raced",
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(error.message).toMatch(
      /builder raced, created by this run, was replaced by another process's builder of that name, left in place$/,
    );
    expect(buildx.builders.get("raced")?.node).toBe("raced0");
    expect(buildx.calls.some((call) => call.args.includes("rm"))).toBe(false);
  });

  it("the removal itself fails: the error says so and hints the command, quoted", async () => {
    const buildx = fakeBuildx({
      hook: (args) => (args[1] === "rm" ? { exitCode: 1, stderr: "ERROR: permission denied" } : failsToBootstrap(args)),
    });
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "stuck",
        context: "ctx 1",
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(error.message).toMatch(
      /; builder stuck, created by this run, could not be removed: ERROR: permission denied$/,
    );
    expect(error.hint).toMatch(/remove it with: docker --context 'ctx 1' buildx rm stuck$/);
  });

  it.each([
    [
      "bogus=1",
      "ERROR: failed to initialize builder b (b-qus-1): invalid driver option bogus for docker-container driver",
    ],
    ['network=host"', 'ERROR: parse error on line 1, column 13: bare " in non-quoted-field'],
    ["memory=abc", "ERROR: failed to initialize builder b (b-qus-1): invalid size: 'abc'"],
  ])(
    "buildx refuses --driver-opt %j at create (recorded): QUS_USAGE, the command quoted, nothing to remove",
    async (opt, stderr) => {
      const buildx = fakeBuildx({ hook: (args) => (args.includes("create") ? { exitCode: 1, stderr } : undefined) });
      const error = await failure(
        bootstrap({
          platforms: "arm64",
          driver: "docker-container",
          builder: "b",
          driverOpts: [opt],
          exec: buildx.exec,
          binfmtDriver: readyKernel(["aarch64"]).driver,
        }),
      );
      expect(error.code).toBe("QUS_USAGE");
      expect(error.message).toBe(`buildx refused the driver options of builder b: ${stderr}`);
      expect(error.hint).toContain(`--driver-opt ${formatCommand([opt])}`);
      expect(buildx.calls.some((call) => call.args.includes("rm"))).toBe(false);
    },
  );

  it("a created builder that bootstraps but proves nothing is kept (it runs), named in a warning, and not made current", async () => {
    const buildx = fakeBuildx({
      hook: (args) => (args[1] === "build" ? { exitCode: 1, stderr: EXEC_FORMAT_ERROR } : undefined),
    });
    const report = await bootstrap({
      platforms: "arm64",
      driver: "docker-container",
      builder: "kept",
      use: true,
      exec: buildx.exec,
      binfmtDriver: readyKernel(["aarch64"]).driver,
    });
    expect(report).toMatchObject({ ok: false, created: true, used: false });
    expect(report.platforms[0]).toMatchObject({ proven: false, code: "QUS_EXEC_FAILED" });
    expect(report.warnings).toContain("kept not made the current builder: not every platform is proven");
    expect(report.warnings.join("\n")).toMatch(/builder kept was created by this run and kept.*docker buildx rm kept/);
    expect(buildx.calls.some((call) => call.args.includes("use"))).toBe(false);
    expect(buildx.builders.has("kept")).toBe(true);
  });
});

describe("every command is bounded, and a timeout is reported as such (finding 3)", () => {
  it("each docker command runs with its documented timeout", async () => {
    const buildx = fakeBuildx();
    await bootstrap({
      platforms: "arm64",
      driver: "docker-container",
      builder: "t",
      use: true,
      exec: buildx.exec,
      binfmtDriver: readyKernel(["aarch64"]).driver,
    });
    expect(buildx.calls.map((call) => [call.args[call.args[0] === "buildx" ? 1 : 0], call.timeoutMs])).toEqual([
      ["info", DEFAULT_TIMEOUTS.info],
      ["inspect", DEFAULT_TIMEOUTS.inspect],
      ["create", DEFAULT_TIMEOUTS.create],
      ["inspect", DEFAULT_TIMEOUTS.bootstrap],
      ["build", DEFAULT_TIMEOUTS.build],
      ["use", DEFAULT_TIMEOUTS.use],
    ]);
    expect(DEFAULT_TIMEOUTS).toEqual({
      info: 20_000,
      inspect: 30_000,
      create: 60_000,
      bootstrap: 300_000,
      build: 180_000,
      use: 30_000,
      stop: 60_000,
    });
  });

  it("an engine whose docker info times out is QUS_ENGINE_UNREACHABLE naming the command, before binfmt", async () => {
    const kernel = readyKernel(["aarch64"]);
    const docker = recordedDocker(() => ({}), { exitCode: undefined, signal: "SIGKILL", timedOut: true });
    const error = await failure(bootstrap({ platforms: "arm64", exec: docker.exec, binfmtDriver: kernel.driver }));
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toMatch(/does not answer: docker info --format '\{\{json \.\}\}' got no reply within 20 s$/);
    expect(kernel.requests).toEqual([]);
  });

  it("an engine that refuses the connection is QUS_ENGINE_UNREACHABLE with docker's words", async () => {
    const docker = recordedDocker(() => ({}), {
      exitCode: 1,
      stdout: JSON.stringify({
        ServerErrors: ["Cannot connect to the Docker daemon at tcp://127.0.0.1:1. Is the docker daemon running?"],
      }),
    });
    const error = await failure(
      bootstrap({ platforms: "arm64", exec: docker.exec, binfmtDriver: readyKernel([]).driver }),
    );
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toMatch(/Cannot connect to the Docker daemon at tcp:\/\/127\.0\.0\.1:1/);
  });

  it("a docker client that exits 0 printing what is not its info: the words and exit kind qus status uses", async () => {
    const docker = recordedDocker(() => ({}), { exitCode: 0, stdout: "garbage" });
    const error = await failure(
      bootstrap({ platforms: "arm64", exec: docker.exec, binfmtDriver: readyKernel([]).driver }),
    );
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toBe('docker info printed what qus cannot read: "garbage"');
  });

  it("a docker command of the binfmt step killed at its timeout is named in the error", async () => {
    let infos = 0;
    const asked: string[][] = [];
    const docker = recordedDocker(() => ({}), { stdout: ENGINE_INFO });
    const exec: Exec = async (file, args, options) => {
      asked.push([...args]);
      // The engine answers qus buildx's own docker info, then hangs: the binfmt helper's docker commands time out.
      if (!args.includes("buildx") && ++infos > 1)
        return result({ exitCode: undefined, signal: "SIGKILL", timedOut: true });
      return docker.exec(file, args, options);
    };
    const error = await failure(bootstrap({ platforms: "arm64", exec, image: QUS_IMAGE }));
    expect(error.message).toMatch(/did not finish within \d+ s and was killed/);
    expect(error.message).toContain("docker image inspect");
    expect(["QUS_TIMEOUT", "QUS_ENGINE_UNREACHABLE"]).toContain(error.code);
    // The engine was asked docker info once: the binfmt helper's runner got the engine check's answer.
    expect(asked.filter((args) => args[0] === "info")).toEqual([INFO]);
  });

  it("a proof build killed at its timeout: that platform not proven with QUS_TIMEOUT naming the build; the others go on", async () => {
    const docker = recordedDocker(
      (args) => {
        if (args[1] === "inspect") return { stdout: recorded("inspect-default-docker.txt") };
        // A hung emulator: the build of all platforms and arm64's own are killed at their timeout.
        if (isTogether(args) || args.includes("linux/arm64"))
          return { exitCode: undefined, signal: "SIGKILL", timedOut: true };
        return {};
      },
      { stdout: CONTAINERD_INFO },
    );
    const report = await bootstrap({
      platforms: "arm64,riscv64",
      timeouts: { build: 5_000 },
      exec: docker.exec,
      binfmtDriver: readyKernel(["aarch64", "riscv64"]).driver,
    });
    expect(report.ok).toBe(false);
    expect(report.platforms[0]).toMatchObject({
      platform: "linux/arm64",
      proven: false,
      failure: "timeout",
      reason: "timed out: the emulator hung (/usr/bin/qemu-aarch64-static)",
      code: "QUS_TIMEOUT",
    });
    expect(report.platforms[0]?.detail).toMatch(
      /^docker buildx build --builder default --platform linux\/arm64 --no-cache --progress plain --output type=cacheonly \/\S+ did not finish within 5 s and was killed$/,
    );
    expect(report.platforms[1]).toMatchObject({ platform: "linux/riscv64", proven: true });
    expect(report.platforms[1]?.code).toBeUndefined();
    expect(docker.calls.map((call) => [call.args.slice(0, 2), call.timeoutMs]).slice(2)).toEqual([
      [["buildx", "build"], 5_000],
      [["buildx", "build"], 5_000],
      [["buildx", "build"], 5_000],
    ]);
  });

  it("a create killed at its timeout after buildx saved the builder: QUS_TIMEOUT, and that builder removed", async () => {
    const buildx = fakeBuildx({
      hook: (args, store) => {
        if (!args.includes("create")) return undefined;
        store.set("late", { driver: "docker-container", node: args[args.indexOf("--node") + 1] ?? "" });
        return { exitCode: undefined, timedOut: true };
      },
    });
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "late",
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(error.code).toBe("QUS_TIMEOUT");
    expect(error.message).toMatch(
      /^docker buildx create --name late .* did not finish within 60 s and was killed; builder late, created by this run, was removed again$/,
    );
    expect(buildx.builders.has("late")).toBe(false);
  });

  it("a timed-out bootstrap of a builder this run created: QUS_TIMEOUT, and the builder removed", async () => {
    const buildx = fakeBuildx({
      hook: (args) => (args.includes("--bootstrap") ? { exitCode: undefined, timedOut: true } : undefined),
    });
    const error = await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "slow",
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(error.code).toBe("QUS_TIMEOUT");
    expect(error.message).toBe(
      "docker buildx inspect --bootstrap slow did not finish within 300 s and was killed; builder slow, created by this run, was removed again",
    );
    expect(buildx.builders.has("slow")).toBe(false);
  });
});

describe("a flaky machine (finding 4)", () => {
  it("the builder removed by someone else mid-run: QUS_EXEC_FAILED saying so, no build left running", async () => {
    let builds = 0;
    const buildx = fakeBuildx({
      builders: { theirs: { driver: "docker-container", node: "theirs0" } },
      hook: (args, store) => {
        // The build of all platforms fails, so one build per platform runs: the first removes the builder.
        if (isTogether(args)) return { exitCode: 1, stderr: EXEC_FORMAT_ERROR };
        if (args[1] === "build" && ++builds === 1) store.delete("theirs");
        return undefined;
      },
    });
    const error = await failure(
      bootstrap({
        platforms: "arm64,riscv64,arm/v7",
        driver: "docker-container",
        builder: "theirs",
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64", "riscv64", "arm"]).driver,
      }),
    );
    expect(error.code).toBe("QUS_EXEC_FAILED");
    expect(error.message).toBe("builder theirs was removed by another process while qus was proving it");
    // The first build removed the builder; the second (running alongside) found it gone; no third started.
    expect(buildx.calls.filter((call) => call.args[1] === "build" && !isTogether(call.args))).toHaveLength(2);
  });

  it("the builder removed by someone else during the build of all platforms: QUS_EXEC_FAILED, no build per platform", async () => {
    const buildx = fakeBuildx({
      builders: { theirs: { driver: "docker-container", node: "theirs0" } },
      hook: (args, store) => {
        if (isTogether(args)) store.delete("theirs");
        return undefined;
      },
    });
    const error = await failure(
      bootstrap({
        platforms: "arm64,riscv64",
        driver: "docker-container",
        builder: "theirs",
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64", "riscv64"]).driver,
      }),
    );
    expect(error.code).toBe("QUS_EXEC_FAILED");
    expect(error.message).toBe("builder theirs was removed by another process while qus was proving it");
    expect(buildx.calls.filter((call) => call.args[1] === "build").map((call) => call.args)).toEqual([
      together("theirs", ["linux/arm64", "linux/riscv64"]),
    ]);
  });

  it("--use with a builder that fails to bootstrap: never made current", async () => {
    const buildx = fakeBuildx({
      builders: { mine: { driver: "docker-container", node: "mine0" } },
      hook: failsToBootstrap,
    });
    await failure(
      bootstrap({
        platforms: "arm64",
        driver: "docker-container",
        builder: "mine",
        use: true,
        exec: buildx.exec,
        binfmtDriver: readyKernel(["aarch64"]).driver,
      }),
    );
    expect(buildx.calls.some((call) => call.args.includes("use"))).toBe(false);
  });

  it("--driver-opt on an existing builder: not applied, and a warning says so with the command to recreate it", async () => {
    const buildx = fakeBuildx({ builders: { mine: { driver: "docker-container", node: "mine0" } } });
    const report = await bootstrap({
      platforms: "arm64",
      driver: "docker-container",
      builder: "mine",
      driverOpts: ["network=host"],
      exec: buildx.exec,
      binfmtDriver: readyKernel(["aarch64"]).driver,
    });
    expect(report.warnings).toEqual([
      "builder mine exists: --driver-opt not applied (they apply to a builder qus creates; to recreate it, run docker buildx rm mine first)",
    ]);
    expect(buildx.calls.some((call) => call.args.includes("create"))).toBe(false);
  });

  it("isPullFailure: a failed pull of the builder's image, not any failure after a pull", () => {
    expect(isPullFailure(PULL_FAILURE)).toBe(true);
    expect(isPullFailure("#1 pulling image moby/buildkit:buildx-stable-1 done\nERROR: cgroup: permission denied")).toBe(
      false,
    );
  });
});

describe("several platforms on the classic image store: the user's multi-platform build must work (issue 22)", () => {
  const TWO = "linux/arm64,linux/riscv64";

  it("nothing named: creates docker-container builder qus, proves both in ONE multi-platform build, makes it current", async () => {
    const kernel = readyKernel(["aarch64", "riscv64"]);
    const buildx = fakeBuildx();
    const report = await bootstrap({ platforms: TWO, exec: buildx.exec, binfmtDriver: kernel.driver });

    const node = buildx.builders.get("qus")?.node ?? "";
    expect(node).toMatch(/^qus-qus-[0-9a-f]{8}$/);
    expect(buildx.calls.map((call) => call.args)).toEqual([
      INFO,
      ["buildx", "inspect", "qus"],
      ["buildx", "create", "--name", "qus", "--node", node, "--driver", "docker-container"],
      ["buildx", "inspect", "--bootstrap", "qus"],
      together("qus", ["linux/arm64", "linux/riscv64"]),
      ["buildx", "use", "qus"],
    ]);
    expect(report).toMatchObject({ builder: "qus", driver: "docker-container", created: true, used: true, ok: true });
    expect(report.reason).toMatch(/cannot build 2 platforms at once on the classic image store/);
    expect(report.platforms.map((p) => [p.platform, p.proven, p.native])).toEqual([
      ["linux/arm64", true, false],
      ["linux/riscv64", true, false],
    ]);
  });

  it("nothing named, builder qus exists (docker-container): reused, never created again, made current", async () => {
    const buildx = fakeBuildx({ builders: { qus: { driver: "docker-container", node: "qus0" } } });
    const report = await bootstrap({
      platforms: TWO,
      exec: buildx.exec,
      binfmtDriver: readyKernel(["aarch64", "riscv64"]).driver,
    });
    expect(buildx.calls.map((call) => call.args[1])).toEqual(["--format", "inspect", "inspect", "build", "use"]);
    expect(report).toMatchObject({ builder: "qus", created: false, used: true, ok: true });
  });

  it("nothing named, a builder qus of another driver: QUS_USAGE naming a docker-container builder by name, left alone", async () => {
    const buildx = fakeBuildx({ builders: { qus: { driver: "remote", node: "qus0" } } });
    const error = await failure(
      bootstrap({ platforms: TWO, exec: buildx.exec, binfmtDriver: readyKernel(["aarch64", "riscv64"]).driver }),
    );
    expect(error.code).toBe("QUS_USAGE");
    expect(error.hint).toBe("name a docker-container builder of your own: --name NAME --driver docker-container");
    expect(buildx.builders.get("qus")).toEqual({ driver: "remote", node: "qus0" });
  });

  it.each([
    ["--driver docker", { driver: "docker" as const }],
    ["--name default (the docker driver's builder)", { builder: "default" }],
  ])("%s: QUS_VERIFY_FAILED (exit 1) naming both fixes, before binfmt or any builder is touched", async (_, named) => {
    const kernel = readyKernel(["aarch64", "riscv64"]);
    const docker = recordedDocker(() => ({}));
    const error = await failure(
      bootstrap({ platforms: TWO, ...named, exec: docker.exec, binfmtDriver: kernel.driver }),
    );
    expect(error.code).toBe("QUS_VERIFY_FAILED");
    expect(error.message).toContain(
      "builder default (docker driver) cannot build linux/arm64,linux/riscv64 in one build",
    );
    expect(error.message).toContain("classic image store");
    expect(error.hint).toContain(
      "qus buildx --platforms linux/arm64,linux/riscv64 --name qus --driver docker-container",
    );
    expect(error.hint).toContain("containerd image store");
    expect(docker.calls.map((call) => call.args)).toEqual([INFO]);
    expect(kernel.requests).toEqual([]);
  });

  it("one platform: the engine's own docker-driver builder, as before (a one-platform build needs nothing more)", async () => {
    const docker = recordedDocker((args) =>
      args[1] === "inspect" ? { stdout: recorded("inspect-default-docker.txt") } : {},
    );
    const report = await bootstrap({
      platforms: "linux/arm64",
      exec: docker.exec,
      binfmtDriver: readyKernel(["aarch64"]).driver,
    });
    expect(report).toMatchObject({ builder: "default", driver: "docker", used: false, ok: true });
    expect(report.reason).toBeUndefined();
  });

  it("the containerd image store: the docker driver builds both at once, so it is kept", async () => {
    const docker = recordedDocker(
      (args) => (args[1] === "inspect" ? { stdout: recorded("inspect-default-docker.txt") } : {}),
      { stdout: CONTAINERD_INFO },
    );
    const report = await bootstrap({
      platforms: TWO,
      driver: "docker",
      exec: docker.exec,
      binfmtDriver: readyKernel(["aarch64", "riscv64"]).driver,
    });
    expect(report).toMatchObject({ builder: "default", driver: "docker", ok: true });
    expect(docker.calls.at(-1)?.args).toEqual(together("default", ["linux/arm64", "linux/riscv64"]));
  });

  it("dry run: says it would create builder qus, and creates nothing", async () => {
    const buildx = fakeBuildx();
    const report = await bootstrap({
      platforms: TWO,
      dryRun: true,
      exec: buildx.exec,
      binfmtDriver: readyKernel(["aarch64", "riscv64"]).driver,
    });
    expect(report).toMatchObject({ builder: "qus", driver: "docker-container", dryRun: true });
    expect(report.warnings).toContain("would create builder qus");
    expect(buildx.builders.size).toBe(0);
  });
});
