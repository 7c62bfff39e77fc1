import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTarget } from "@qus/core/toolkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeApiServer, fakeNode, startFakeApiServer } from "../packages/k8s/src/fake-api-server.js";
import { docker, requireDocker, requireQusImage } from "./support/docker.js";
import {
  BINFMT,
  busybox,
  entryNames,
  i386RunsNatively,
  qus,
  readEntryText,
  registerRaw,
  removeRaw,
  runProgram,
  useCleanQemuTable,
} from "./support/kernel.js";
import { dockerRunArgs, type PodSpec } from "./support/kubelet.js";

// qus's installer image behind the engine of this machine: tonistiigi/binfmt's command line, proven, and the
// Kubernetes DaemonSet's containers run as a kubelet would (support/kubelet.ts), since no cluster runs here.
const IMAGE = "qus-binfmt:e2e-fleet";
const ARM64 = requireTarget("aarch64");
// Least privilege that mounts binfmt_misc, as qus's docker driver starts its helper.
const LEAST = ["--cap-add", "SYS_ADMIN", "--security-opt", "apparmor=unconfined"];
const work = mkdtempSync(join(tmpdir(), "qus-fleet-"));
const POD = "qus-e2e-fleet";

function installer(args: readonly string[]) {
  return docker(["run", "--rm", ...LEAST, IMAGE, ...args]);
}

function removePod(): void {
  for (const name of ["register", "keep", "label"]) docker(["rm", "-f", `${POD}-${name}`]);
}

useCleanQemuTable(async () => {
  requireDocker();
  const built = await qus(["image", "build", "--tag", IMAGE]);
  if (built.exitCode !== 0) throw new Error(`qus image build failed: ${built.stderr}`);
});

afterEach(() => {
  writeFileSync(`${BINFMT}/status`, "1");
  removePod();
});

afterAll(() => {
  docker(["rmi", IMAGE]);
  rmSync(work, { recursive: true, force: true });
});

describe("the installer image answers tonistiigi/binfmt's command line, and proves what it says", () => {
  it("--install arm64,riscv64: registers, proves each, prints binfmt's lines and status JSON, exit 0", () => {
    const run = installer(["--install", "arm64,riscv64"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^installing: arm64 OK$/m);
    expect(run.stdout).toMatch(/^installing: riscv64 OK$/m);
    expect(run.stdout).toMatch(/^verified: linux\/arm64 OK$/m);
    expect(run.stdout).toMatch(/^verified: linux\/riscv64 OK$/m);
    const status = JSON.parse(run.stdout.slice(run.stdout.indexOf("{")));
    expect(status.supported).toEqual(expect.arrayContaining(["linux/amd64", "linux/arm64", "linux/riscv64"]));
    expect(status.emulators).toEqual(expect.arrayContaining(["qemu-aarch64", "qemu-riscv64"]));
    // The host itself now runs them: F opened the emulators in the container, at registration.
    expect(runProgram(busybox("arm64"), ["uname", "-m"]).stdout).toBe("aarch64");
    expect(runProgram(busybox("riscv64"), ["uname", "-m"]).stdout).toBe("riscv64");
    // A second run changes nothing and says so.
    expect(installer(["--install", "linux/arm64"]).stdout).toMatch(/^installing: arm64 OK \(qemu-aarch64 present\)$/m);
  });

  it("no arguments: binfmt's status JSON, listing only what really runs", () => {
    installer(["--install", "s390x"]);
    const status = JSON.parse(installer([]).stdout);
    expect(status.supported).toContain("linux/s390x");
    expect(status.supported).not.toContain("linux/arm64");
    expect(status.emulators).toEqual(["qemu-s390x"]);
  });

  it("--uninstall removes its entries only", () => {
    installer(["--install", "arm64,s390x"]);
    const run = installer(["--uninstall", "arm64"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("uninstalling: qemu-aarch64 OK");
    expect(entryNames()).not.toContain("qemu-aarch64");
    expect(entryNames()).toContain("qemu-s390x");
  });

  it("a platform that does not run is never reported as installed: exit 1 (binfmt_misc switched off)", () => {
    writeFileSync(`${BINFMT}/status`, "0");
    const run = installer(["--install", "arm64"]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^verified: linux\/arm64 FAILED \(exec format error: no entry claims it\)$/m);
    expect(JSON.parse(run.stdout.slice(run.stdout.indexOf("{"))).supported).not.toContain("linux/arm64");
  });

  it("another installer's entry that does not run here is left alone, and taken over only with --replace", () => {
    // An entry without F whose interpreter does not exist: it claims arm64 programs and runs none.
    registerRaw(`:qemu-aarch64:M::${ARM64.magic}:${ARM64.mask}:/usr/bin/qus-e2e-missing-emulator:`);
    const left = installer(["--install", "arm64"]);
    expect(left.status).toBe(1);
    expect(left.stdout).toMatch(
      /^installing: arm64: conflict: qemu-aarch64 is not qus's \(another program registered it\): its interpreter \/usr\/bin\/qus-e2e-missing-emulator is not QEMU's .*: left as it is \(--replace takes it over\)$/m,
    );
    expect(readEntryText("qemu-aarch64")).toMatch(/qus-e2e-missing-emulator/);
    const all = installer(["--uninstall", "all"]);
    expect(all.stdout).toMatch(/^uninstalling: qemu-aarch64 left alone/m);
    expect(entryNames()).toContain("qemu-aarch64");
    const taken = installer(["--install", "arm64", "--replace"]);
    expect(taken.status).toBe(0);
    expect(taken.stdout).toMatch(/^installing: arm64 OK$/m);
    expect(readEntryText("qemu-aarch64")).toMatch(/interpreter \/usr\/bin\/qemu-aarch64-static/);
  });

  it("a target this machine may run itself (386 on x86_64) is registered only after a proven exec format error", () => {
    const native = i386RunsNatively();
    const run = installer(["--install", "386"]);
    expect(run.status, run.stdout).toBe(0);
    if (native) {
      expect(run.stdout).toMatch(/^installing: 386 OK \(runs without qemu-i386\)$/m);
      expect(entryNames()).not.toContain("qemu-i386");
    } else {
      expect(run.stdout).toMatch(/^installing: 386 OK$/m);
      expect(runProgram(busybox("i386"), ["true"]).status).toBe(0);
    }
  });

  it("its own architecture runs without emulation: accepted as tonistiigi's list may name it, and never registered", () => {
    const run = installer(["--install", "amd64,arm64"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^installing: amd64 OK \(this machine's own\)$/m);
    expect(run.stdout).not.toMatch(/verified: linux\/amd64/);
    expect(entryNames().filter((name) => name.startsWith("qemu-"))).toEqual(["qemu-aarch64"]);
  });

  it("bad input and a missing capability: clear errors, exit 2 and 3", () => {
    expect(installer(["--install", "vax"]).status).toBe(2);
    // A list is names only, never a pattern of files.
    const star = installer(["--install", "*"]);
    expect(star.status).toBe(2);
    expect(star.stderr).toMatch(/unknown platform "\*"/);
    expect(installer(["--bogus"]).stderr).toMatch(/unknown argument "--bogus"/);
    expect(installer(["--keep", "arm64", "--interval", "soon"]).stderr).toMatch(/--interval needs whole seconds/);
    const unprivileged = docker(["run", "--rm", IMAGE, "--install", "arm64"]);
    expect(unprivileged.status).toBe(3);
    expect(unprivileged.stderr).toMatch(/cannot mount binfmt_misc .*--cap-add SYS_ADMIN/);
  });
});

describe("the DaemonSet of qus k8s manifest, its containers run as a kubelet would (no cluster here)", () => {
  let api: FakeApiServer | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it("registers and proves on this node, re-registers what vanishes, and the labeller marks the node", async () => {
    const manifest = await qus([
      "k8s",
      "manifest",
      "--platforms",
      "linux/arm64,linux/s390x",
      "--image",
      IMAGE,
      "--interval",
      "1",
      "--label-nodes",
      "--startup-taint",
      "qus.dev/emulation-not-ready",
      "--json",
    ]);
    expect(manifest.exitCode).toBe(0);
    const objects = JSON.parse(manifest.stdout) as { kind: string; spec: { template: { spec: PodSpec } } }[];
    const pod = objects.find((object) => object.kind === "DaemonSet")?.spec.template.spec as PodSpec;
    const proven = mkdtempSync(join(work, "proven-"));
    const options = { prefix: POD, nodeName: "node-a", emptyDirs: new Map([["proven", proven]]) };

    // Init containers first, each to completion.
    for (const container of pod.initContainers ?? []) {
      const run = docker(dockerRunArgs(pod, container, { ...options, foreground: true }));
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^verified: linux\/arm64 OK$/m);
    }
    expect(runProgram(busybox("s390x"), ["uname", "-m"]).stdout).toBe("s390x");

    // The keeper; the labeller's image (Node.js from a registry) cannot be pulled here: its command runs below.
    const keep = pod.containers.find((container) => container.name === "keep");
    expect(keep).toBeDefined();
    if (!keep) return;
    expect(docker(dockerRunArgs(pod, keep, { ...options, foreground: false })).status).toBe(0);
    await waitFor(() => existsSync(join(proven, "proven")));
    expect(readFileSync(join(proven, "proven"), "utf8")).toMatch(/^\d+ linux\/arm64 linux\/s390x $/m);

    // The readiness probe, as the kubelet would exec it.
    const ready = () => docker(["exec", `${POD}-keep`, ...(keep.readinessProbe?.exec?.command ?? ["false"])]).status;
    expect(ready()).toBe(0);

    // An entry that vanishes (a reboot, systemd-binfmt) comes back within the interval.
    removeRaw("qemu-s390x");
    await waitFor(() => entryNames().includes("qemu-s390x"));
    expect(ready()).toBe(0);
    expect(runProgram(busybox("s390x"), ["uname", "-m"]).stdout).toBe("s390x");

    // The labeller's own command (qus k8s label-node), against a stand-in API server, reading the keeper's file.
    api = await startFakeApiServer([
      fakeNode("node-a", { taints: [{ key: "qus.dev/emulation-not-ready", effect: "NoSchedule" }] }),
    ]);
    const kubeconfig = join(work, "kubeconfig");
    writeFileSync(kubeconfig, api.config.exportConfig());
    const label = pod.containers.find((container) => container.name === "label");
    const labelArgs = (label?.command ?? [])
      .slice(label?.command?.indexOf("k8s") ?? 0)
      .filter((arg) => arg !== "--watch");
    const labelled = await qus(
      labelArgs.map((arg) => (arg === "/run/qus/proven" ? join(proven, "proven") : arg)),
      { env: { KUBECONFIG: kubeconfig, NODE_NAME: "node-a" } },
    );
    expect(labelled.stderr).toBe("");
    expect(labelled.stdout).toMatch(
      /node-a: proven linux\/arm64,linux\/s390x; removed taint qus.dev\/emulation-not-ready/,
    );
    const node = api.nodes.get("node-a") as { metadata: { labels: Record<string, string> }; spec: { taints?: [] } };
    expect(node.metadata.labels).toMatchObject({ "qus.dev/arm64": "proven", "qus.dev/s390x": "proven" });
    expect(node.spec.taints).toEqual([]);

    const status = await qus(["k8s", "status", "--platforms", "linux/arm64,linux/s390x", "--json"], {
      env: { KUBECONFIG: kubeconfig },
    });
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject([{ node: "node-a", ok: true, missing: [] }]);

    // Uninstall as documented: the install deleted first (its keeper would register again), then the uninstall
    // DaemonSet's init container removes what qus's installer registered, and leaves another installer's entry.
    removePod();
    const RISCV64 = requireTarget("riscv64");
    registerRaw(`:qemu-riscv64:M::${RISCV64.magic}:${RISCV64.mask}:/usr/libexec/qemu-binfmt/riscv64-binfmt-P:`);
    const uninstall = await qus(["k8s", "manifest", "--uninstall", "--image", IMAGE, "--json"]);
    expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    const [daemonSet] = JSON.parse(uninstall.stdout) as { spec: { template: { spec: PodSpec } } }[];
    const uninstallPod = daemonSet?.spec.template.spec as PodSpec;
    for (const container of uninstallPod.initContainers ?? []) {
      const run = docker(dockerRunArgs(uninstallPod, container, { ...options, foreground: true }));
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^uninstalling: qemu-aarch64 OK$/m);
    }
    expect(entryNames()).not.toContain("qemu-aarch64");
    expect(entryNames()).not.toContain("qemu-s390x");
    expect(readEntryText("qemu-riscv64")).toMatch(/riscv64-binfmt-P/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("several engines in one run: --context a,b", () => {
  const SECOND = "qus-e2e-second";
  const DEAD = "qus-e2e-dead";
  beforeAll(async () => {
    await requireQusImage();
    // A second context reaching the same engine, and one whose engine never answers (a socket nobody serves).
    docker(["context", "rm", "-f", SECOND, DEAD]);
    expect(docker(["context", "create", SECOND, "--docker", "host=unix:///var/run/docker.sock"]).status).toBe(0);
    expect(docker(["context", "create", DEAD, "--docker", `host=unix://${join(work, "nobody.sock")}`]).status).toBe(0);
  });
  afterAll(() => {
    docker(["context", "rm", "-f", SECOND, DEAD]);
  });

  it("ensure on two contexts at once: one section each, both ok, exit 0; the kernel runs the platforms", async () => {
    const run = await qus([
      "ensure",
      "--driver",
      "docker",
      "--context",
      `default,${SECOND}`,
      "--platforms",
      "linux/arm64,linux/riscv64",
      "--json",
    ]);
    expect(run.stderr).toBe("");
    expect(run.exitCode, run.stdout).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.ok).toBe(true);
    expect(result.endpoints.map((endpoint: { context: string }) => endpoint.context)).toEqual(["default", SECOND]);
    for (const endpoint of result.endpoints) {
      expect(endpoint.report.platforms.map((platform: { ok: boolean }) => platform.ok)).toEqual([true, true]);
    }
    expect(runProgram(busybox("riscv64"), ["uname", "-m"]).stdout).toBe("riscv64");
    const table = await qus(["status", "--driver", "docker", "--context", `default,${SECOND}`, "--platforms", "arm64"]);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^context default:$/m);
    expect(table.stdout).toMatch(new RegExp(`^context ${SECOND}:$`, "m"));
    expect(table.stdout).toMatch(/^all 2 engines ok$/m);
  });

  it("an engine that does not answer fails its own section only; the exit code is the gravest (3)", async () => {
    const run = await qus([
      "ensure",
      "--driver",
      "docker",
      "--context",
      `${SECOND},${DEAD}`,
      "--platforms",
      "linux/arm64",
    ]);
    expect(run.exitCode, run.stdout).toBe(3);
    expect(run.stdout).toMatch(new RegExp(`^context ${DEAD}:\nqus: error QUS_ENGINE_UNREACHABLE`, "m"));
    expect(run.stdout).toMatch(new RegExp(`1 of 2 engines not ok: ${DEAD}$`, "m"));
  });

  it("DOCKER_HOST naming several engines: one section per address, the gravest exit code", async () => {
    const dead = `unix://${join(work, "nobody.sock")}`;
    const run = await qus(["status", "--driver", "docker", "--platforms", "arm64", "--json"], {
      env: { DOCKER_HOST: `unix:///var/run/docker.sock,${dead}`, DOCKER_CONTEXT: "" },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    const result = JSON.parse(run.stdout);
    expect(result.endpoints.map((endpoint: { host: string }) => endpoint.host)).toEqual([
      "unix:///var/run/docker.sock",
      dead,
    ]);
    // The live engine answered with its table (arm64 not registered here: a report, not an error).
    expect(result.endpoints[0].report.platforms[0]).toMatchObject({ platform: "linux/arm64" });
    expect(result.endpoints[1].error.code).toBe("QUS_ENGINE_UNREACHABLE");
    const bad = await qus(["status", "--driver", "docker"], {
      env: { DOCKER_HOST: "unix:///var/run/docker.sock,arm-box" },
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/is not a list of engine addresses/);
  });

  it("bad lists are refused before any engine is asked", async () => {
    for (const [context, message] of [
      ["default,,x", /has an empty name/],
      ["default,default", /names "default" twice/],
    ] as const) {
      const run = await qus(["status", "--driver", "docker", "--context", context]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const local = await qus(["status", "--context", "a,b"]);
    expect(local.exitCode).toBe(2);
    expect(local.stderr).toMatch(/--context goes with --driver docker or --driver podman/);
  });
});

/** A relay from a unix socket (argv[1]) to dockerd's, printing "ready" once it listens. */
const RELAY = `
const net = require("node:net");
net.createServer((client) => {
  const engine = net.connect("/var/run/docker.sock");
  client.pipe(engine).pipe(client);
  client.on("error", () => engine.destroy());
  engine.on("error", () => client.destroy());
}).listen(process.argv[1], () => console.log("ready"));
`;

describe("qus buildx: the engine behind every node of a docker-container builder", () => {
  const BUILDER = "qus-e2e-nodes";
  const SAME = "qus-e2e-same-engine";
  const GONE = "qus-e2e-gone-engine";
  let relay: ChildProcess | undefined;
  afterAll(() => {
    relay?.kill("SIGKILL");
    docker(["buildx", "rm", "-f", BUILDER]);
    docker(["context", "rm", "-f", SAME, GONE]);
  });

  it("a node on another name of the same engine is ensured once; a node whose engine went away fails alone (exit 3)", async () => {
    // buildx only appends a node whose engine answers: this one is a relay to dockerd (a process of its own, as this
    // one blocks while docker runs), stopped before qus runs.
    const socket = join(work, "relay.sock");
    relay = spawn(process.execPath, ["-e", RELAY, socket], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      relay?.stdout?.once("data", () => resolve());
      relay?.once("exit", (code: number | null) => reject(new Error(`the relay exited ${code}`)));
    });
    docker(["buildx", "rm", "-f", BUILDER]);
    docker(["context", "rm", "-f", SAME, GONE]);
    expect(docker(["context", "create", SAME, "--docker", "host=unix:///var/run/docker.sock"]).status).toBe(0);
    expect(docker(["context", "create", GONE, "--docker", `host=unix://${socket}`]).status).toBe(0);
    expect(docker(["buildx", "create", "--name", BUILDER, "--driver", "docker-container"]).status).toBe(0);
    for (const context of [SAME, GONE]) {
      const appended = docker(["buildx", "create", "--append", "--name", BUILDER, context]);
      expect(appended.status, appended.stderr).toBe(0);
    }
    relay.kill("SIGKILL");
    relay = undefined;

    const run = await qus([
      "buildx",
      "--platforms",
      "linux/arm64",
      "--driver",
      "docker-container",
      "--name",
      BUILDER,
      "--dry-run",
      "--json",
    ]);
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    const report = JSON.parse(run.stdout);
    expect(report.binfmt.ok).toBe(true);
    expect(report.nodeBinfmt).toHaveLength(1);
    expect(report.nodeBinfmt[0]).toMatchObject({ endpoint: GONE, error: { code: "QUS_ENGINE_UNREACHABLE" } });
    const text = await qus([
      "buildx",
      "--platforms",
      "arm64",
      "--driver",
      "docker-container",
      "--name",
      BUILDER,
      "--dry-run",
    ]);
    expect(text.stdout).toMatch(
      new RegExp(`^binfmt on node ${BUILDER}2 \\(${GONE}\\): error QUS_ENGINE_UNREACHABLE`, "m"),
    );
  });
});
