import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { QUS_IMAGE } from "@qus/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  buildBusyboxImage,
  docker,
  helperContainers,
  loadImage,
  requireDocker,
  requireQusImage,
} from "./support/docker.js";
import { buildHungEmulator, type HungEmulator } from "./support/hung-emulator.js";
import {
  busybox,
  entryNames,
  type QusRun,
  qus,
  qusJson,
  registerRaw,
  removeRaw,
  useCleanQemuTable,
} from "./support/kernel.js";

// A real Docker engine on this machine: the helper container reaches the same kernel, so the tests can check
// the table from the host side too. Serial, and the qemu-* entries are put back afterwards.
const FIVE = "linux/arm64,linux/riscv64,linux/s390x,linux/ppc64le,linux/arm/v7";
const IMAGES: [debianArch: string, platform: string, machine: string][] = [
  ["arm64", "linux/arm64", "aarch64"],
  ["riscv64", "linux/riscv64", "riscv64"],
  ["s390x", "linux/s390x", "s390x"],
  ["ppc64el", "linux/ppc64le", "ppc64le"],
  ["armhf", "linux/arm/v7", "armv7l"],
];

// Images the error tests need, made without a builder (support/docker.ts: loadImage).
const PLAIN_IMAGE = "qus-e2e-plain:latest";
const LABELLED_EMPTY_IMAGE = "qus-e2e-labelled-empty:latest";
const BARE_INSTALLER = "qus-e2e-bare-installer:latest";
const FAKE_TONISTIIGI = "tonistiigi/binfmt:qus-e2e-fake";

// A stand-in for tonistiigi/binfmt's CLI (the real image cannot be pulled here): it prints binfmt's status JSON
// with the entries it finds, and its --version line; qus verifies with its own probes either way.
const FAKE_BINFMT = `#!/bin/busybox sh
B=/proc/sys/fs/binfmt_misc
case "$1" in
  --version) echo "binfmt/qus-e2e-fake qemu/v0.0.0 go/none" >&2; exit 0 ;;
  "") ;;
  *) echo "error: this stand-in supports no $1" >&2; exit 1 ;;
esac
[ -e "$B/register" ] || /bin/busybox mount -t binfmt_misc binfmt_misc "$B" || exit 1
printf '{"supported":["linux/amd64"],"emulators":['
sep=""
for name in $(/bin/busybox ls "$B"); do
  case $name in register | status) continue ;; esac
  printf '%s"%s"' "$sep" "$name"
  sep=,
done
printf ']}\n'
`;

useCleanQemuTable(async () => {
  requireDocker();
  await requireQusImage();
  for (const [arch, platform] of IMAGES) buildBusyboxImage(arch, platform);
  loadImage(PLAIN_IMAGE, { files: [{ path: "bin/busybox", source: busybox("amd64") }], entrypoint: ["/bin/busybox"] });
  loadImage(LABELLED_EMPTY_IMAGE, {
    files: [{ path: "etc/qus-e2e", text: "no busybox here\n", mode: 0o644 }],
    labels: { "org.opencontainers.image.title": "qus-binfmt", "org.qus.qemu.version": "qemu-aarch64 version 0" },
  });
  loadImage(BARE_INSTALLER, {
    files: [{ path: "bin/busybox", source: busybox("amd64") }],
    labels: { "org.opencontainers.image.title": "qus-binfmt" },
  });
  loadImage(FAKE_TONISTIIGI, {
    files: [
      { path: "bin/busybox", source: busybox("amd64") },
      { path: "usr/bin/binfmt", text: FAKE_BINFMT },
    ],
    entrypoint: ["/usr/bin/binfmt"],
  });
});

afterAll(() => {
  docker(["rmi", PLAIN_IMAGE, LABELLED_EMPTY_IMAGE, BARE_INSTALLER, FAKE_TONISTIIGI]);
});

// Whatever a test did, qus left no container behind: each one it makes is named qus-helper-*.
afterEach(() => {
  expect(helperContainers()).toEqual([]);
});

const QUS_BIN = fileURLToPath(new URL("../packages/cli/bin/qus.js", import.meta.url));

/** Starts the built `qus` and hands back the process, for tests that stop it or its container mid-run. */
function startQus(args: readonly string[]): { child: ChildProcess; done: Promise<QusRun> } {
  const child = spawn(process.execPath, [QUS_BIN, ...args], { env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => (stdout += chunk));
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<QusRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
  return { child, done };
}

/** Waits for qus's helper container to be running on the engine; its name. */
async function runningHelper(): Promise<string> {
  for (let tries = 0; tries < 150; tries++) {
    const listed = docker([
      "ps",
      "--filter",
      "name=qus-helper-",
      "--filter",
      "status=running",
      "--format",
      "{{.Names}}",
    ]);
    const name = listed.stdout.split("\n").find(Boolean);
    if (name) return name;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("no qus-helper-* container came up within 30 s");
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers: an engine that hangs. */
async function silentEngine(): Promise<{ host: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no TCP port");
  return {
    host: `tcp://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A unix socket in front of the real engine that goes away (closing every connection) the moment a container is
 * about to be created: an engine that answers `docker info` and `docker image inspect`, then dies.
 */
async function engineThatDiesOnCreate(): Promise<{ host: string; died: () => boolean; close: () => void }> {
  const path = join(tmpdir(), `qus-e2e-engine-${process.pid}.sock`);
  rmSync(path, { force: true });
  const sockets = new Set<Socket>();
  let died = false;
  const server = createServer((client) => {
    const upstream = connect("/var/run/docker.sock");
    sockets.add(client).add(upstream);
    client.on("data", (chunk: Buffer) => {
      if (/^POST \S*\/containers\/create/m.test(chunk.toString("latin1"))) {
        died = true;
        server.close();
        for (const socket of sockets) socket.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    for (const [one, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      one.on("error", () => other.destroy());
      one.on("close", () => other.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    host: `unix://${path}`,
    died: () => died,
    close: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
      if (existsSync(path)) rmSync(path, { force: true });
    },
  };
}

describe("qus ensure --driver docker", () => {
  it("registers and verifies through the helper container with least privilege; foreign images then run", async () => {
    const before = docker(["run", "--rm", "--platform", "linux/arm64", "qus-e2e-busybox:arm64", "uname", "-m"]);
    expect(before.status).not.toBe(0);
    expect(before.stderr).toMatch(/exec format error/);

    const { run, report } = await qusJson(["ensure", "--driver", "docker", "--platforms", FIVE]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(report.driver).toBe("docker");
    expect(report.driverDetails).toMatchObject({ image: QUS_IMAGE, privilege: "--cap-add SYS_ADMIN" });
    expect(report.driverDetails?.qemuVersion).toMatch(/^qemu-\S+ version /);
    expect(report.platforms.map((p) => [p.platform, p.action, p.verified])).toEqual(
      IMAGES.map(([, platform]) => [platform, "register", true]),
    );
    // The entries live in the host's kernel, with F so they outlive the helper container.
    expect(entryNames()).toEqual(
      expect.arrayContaining(["qemu-aarch64", "qemu-riscv64", "qemu-s390x", "qemu-ppc64le", "qemu-arm"]),
    );

    for (const [arch, platform, machine] of IMAGES) {
      const result = docker(["run", "--rm", "--platform", platform, `qus-e2e-busybox:${arch}`, "uname", "-m"]);
      expect({ platform, status: result.status, machine: result.stdout }).toEqual({ platform, status: 0, machine });
    }
  });

  it("changes nothing on a second run", async () => {
    expect((await qus(["ensure", "--driver", "docker", "--platforms", FIVE])).exitCode).toBe(0);
    const { run, report } = await qusJson(["ensure", "--driver", "docker", "--platforms", FIVE]);
    expect(run.exitCode).toBe(0);
    expect(report.platforms.map((p) => [p.action, p.verified])).toEqual(Array(5).fill(["ok", true]));
  });

  it("catches a stale entry without F from inside the container and repairs it with --replace", async () => {
    registerRaw(
      ":qemu-s390x:M::\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x16:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff:/usr/bin/qemu-s390x-static:",
    );
    const stale = await qusJson(["ensure", "--driver", "docker", "--platforms", "s390x"]);
    expect(stale.run.exitCode).toBe(1);
    expect(stale.report.platforms[0]).toMatchObject({ action: "conflict", verified: false });
    const repaired = await qusJson(["ensure", "--driver", "docker", "--platforms", "s390x", "--replace"]);
    expect(repaired.run.exitCode).toBe(0);
    expect(repaired.report.platforms[0]).toMatchObject({ action: "replace", verified: true, flags: "OCF" });
  });

  it("removes only qemu entries", async () => {
    registerRaw(":qus-test-docker:E::qusdocker::/bin/true:");
    try {
      expect((await qus(["ensure", "--driver", "docker", "--platforms", "arm64"])).exitCode).toBe(0);
      const run = await qus(["remove", "--driver", "docker", "--platforms", "all"]);
      expect(run.exitCode).toBe(0);
      expect(entryNames()).not.toContain("qemu-aarch64");
      expect(entryNames()).toContain("qus-test-docker");
    } finally {
      removeRaw("qus-test-docker");
    }
  });
});

describe("the docker driver's errors", () => {
  it("--privileged is refused on this machine, with a hint to drop it (least privilege is what works)", async () => {
    const run = await qus(["ensure", "--driver", "docker", "--platforms", "arm64", "--privileged"]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/QUS_PRIVILEGE_DENIED/);
    expect(run.stderr).toMatch(/refused the --privileged helper container: .*unable to apply caps/);
    expect(run.stderr).toMatch(/hint: drop --privileged/);
  });

  it("an engine that accepts the connection and never answers: QUS_ENGINE_UNREACHABLE saying what was tried", async () => {
    const engine = await silentEngine();
    try {
      for (const [env, seconds] of [
        [{ QUS_ENGINE_TIMEOUT: "2" }, "2"],
        [{}, "15"],
      ] as const) {
        const run = await qus(["status", "--driver", "docker"], { env: { DOCKER_HOST: engine.host, ...env } });
        expect(run.exitCode).toBe(3);
        expect(run.stderr).toContain(
          `qus: error QUS_ENGINE_UNREACHABLE: cannot reach the container engine at ${engine.host}: \`docker info\` did not answer within ${seconds} s`,
        );
        expect(run.stderr).toMatch(/hint: .*QUS_ENGINE_TIMEOUT=/);
      }
    } finally {
      await engine.close();
    }
  }, 90_000);

  it("QUS_ENGINE_TIMEOUT that is not a number of seconds: QUS_USAGE", async () => {
    const run = await qus(["status", "--driver", "docker"], { env: { QUS_ENGINE_TIMEOUT: "soon" } });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/QUS_USAGE: QUS_ENGINE_TIMEOUT must be a number of seconds/);
  });

  it("an engine that dies between docker info and docker run: QUS_ENGINE_UNREACHABLE, nothing left behind", async () => {
    const engine = await engineThatDiesOnCreate();
    try {
      const run = await qus(["verify", "--driver", "docker", "--platforms", "arm64"], {
        env: { DOCKER_HOST: engine.host },
      });
      expect(engine.died()).toBe(true);
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toContain(
        `QUS_ENGINE_UNREACHABLE: cannot reach the container engine at ${engine.host}: \`docker run\``,
      );
    } finally {
      engine.close();
    }
  });

  it("an unknown --context, with shell characters in it: QUS_USAGE naming it, and docker context ls", async () => {
    const run = await qus(["status", "--driver", "docker", "--context", "no such $(id)"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("qus: error QUS_USAGE: the docker context 'no such $(id)' does not exist");
    expect(run.stderr).toMatch(/hint: .*docker context ls/);
  });

  it("a local image that is not an installer: QUS_USAGE naming it and what to use, nothing run", async () => {
    const run = await qus(["ensure", "--driver", "docker", "--platforms", "arm64", "--image", PLAIN_IMAGE]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(
      `QUS_USAGE: the image ${PLAIN_IMAGE} on the engine at the default endpoint is not an installer qus can use`,
    );
    expect(run.stderr).toMatch(/hint: .*qus image build.*tonistiigi\/binfmt/);
    expect(entryNames()).not.toContain("qemu-aarch64");
  });

  it("an image with qus's labels but without busybox: QUS_USAGE naming the real cause", async () => {
    const run = await qus(["ensure", "--driver", "docker", "--platforms", "arm64", "--image", LABELLED_EMPTY_IMAGE]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(
      `QUS_USAGE: the image ${LABELLED_EMPTY_IMAGE} is not a working qus installer: it cannot run /bin/busybox`,
    );
    expect(run.stderr).not.toMatch(/PRIVILEGE/);
  });

  it("an installer image with busybox alone (no /tmp, no applet links, no QEMU): it runs, and says what is missing", async () => {
    const verify = await qusJson(["verify", "--driver", "docker", "--platforms", "arm64", "--image", BARE_INSTALLER]);
    expect(verify.run.exitCode, verify.run.stderr).toBe(1);
    expect(verify.report.platforms[0]?.verification).toMatch(/^exec format error/);
    const ensure = await qusJson(["ensure", "--driver", "docker", "--platforms", "arm64", "--image", BARE_INSTALLER]);
    expect(ensure.run.exitCode, ensure.run.stderr).toBe(3);
    expect(ensure.report.platforms[0]?.action).toBe("missing-interpreter");
  });

  it.each(["$(id)", "qus binfmt:latest", "it's", "--privileged"])(
    "--image %j is no image reference: QUS_USAGE, docker never sees it",
    async (image) => {
      const run = await qus(["status", "--driver", "docker", "--platforms", "arm64", `--image=${image}`]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain(`QUS_USAGE: --image ${JSON.stringify(image)} is not an image reference`);
    },
  );

  it("an unreachable engine", async () => {
    const run = await qus(["status", "--driver", "docker"], { env: { DOCKER_HOST: "unix:///tmp/qus-no-engine.sock" } });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/QUS_ENGINE_UNREACHABLE/);
    expect(run.stderr).toMatch(/qus-no-engine\.sock/);
  });

  it("without the default image and without a registry: QUS_IMAGE_MISSING naming it, no tonistiigi/binfmt", async () => {
    expect(docker(["tag", QUS_IMAGE, "qus-binfmt:e2e-kept"]).status).toBe(0);
    expect(docker(["rmi", QUS_IMAGE]).status).toBe(0);
    try {
      const run = await qus(["ensure", "--driver", "docker", "--platforms", "arm64"], { env: { QUS_IMAGE: "" } });
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toContain(`QUS_IMAGE_MISSING: the engine at the default endpoint has no image ${QUS_IMAGE}`);
      expect(run.stderr).toMatch(/qus image build/);
      expect(run.stderr).not.toMatch(/tonistiigi/);
    } finally {
      docker(["tag", "qus-binfmt:e2e-kept", QUS_IMAGE]);
      docker(["rmi", "qus-binfmt:e2e-kept"]);
    }
  });

  it("QUS_IMAGE in the environment names the installer image instead of the default", async () => {
    const override = "127.0.0.1:5999/qus/qus-binfmt:e2e-override";
    expect(docker(["tag", QUS_IMAGE, override]).status).toBe(0);
    try {
      const { run, report } = await qusJson(["status", "--driver", "docker", "--platforms", "arm64"], {
        QUS_IMAGE: override,
      });
      // 0 or 1 (arm64 may not run yet): the override was used, and no error stopped it.
      expect([0, 1], run.stderr).toContain(run.exitCode);
      expect(report.driverDetails).toMatchObject({ image: override });
      const bad = await qus(["status", "--driver", "docker", "--platforms", "arm64"], { env: { QUS_IMAGE: "a b" } });
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toContain('QUS_USAGE: QUS_IMAGE="a b" is not an image reference');
    } finally {
      docker(["rmi", override]);
    }
  });

  it("a missing image, with the command that builds it", async () => {
    const run = await qus(["ensure", "--driver", "docker", "--platforms", "arm64", "--image", "qus-binfmt:not-built"]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/QUS_IMAGE_MISSING/);
    expect(run.stderr).toMatch(/qus-binfmt:not-built/);
  });
});

describe("a hung emulator on the engine's kernel (a test program that never finishes qus's probe)", () => {
  let hung: HungEmulator;
  beforeAll(() => {
    hung = buildHungEmulator();
  });
  afterAll(() => hung?.dispose());

  it("helper mode: the probe is stopped at its bound and reported as timed out: the emulator hung", async () => {
    hung.register("qus-e2e-hang");
    try {
      const { run, report } = await qusJson(["verify", "--driver", "docker", "--platforms", "s390x"]);
      expect(run.exitCode).toBe(1);
      expect(report.platforms[0]).toMatchObject({ platform: "linux/s390x", verified: false });
      expect(report.platforms[0]?.verification).toContain("timed out: the emulator hung");
    } finally {
      hung.unregister("qus-e2e-hang");
    }
  });

  it("the helper container killed mid-run (docker kill): QUS_EXEC_FAILED saying it was stopped", async () => {
    hung.register("qus-e2e-hang");
    try {
      const { done } = startQus(["verify", "--driver", "docker", "--platforms", "s390x"]);
      const name = await runningHelper();
      expect(docker(["kill", name]).status).toBe(0);
      const run = await done;
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `QUS_EXEC_FAILED: the helper container \\(${QUS_IMAGE.replace(/[.:/]/g, "\\$&")}\\) .* was stopped before it finished \\(status 137`,
        ),
      );
    } finally {
      hung.unregister("qus-e2e-hang");
    }
  });

  it("qus interrupted mid-run (SIGINT): its helper container is removed before it exits", async () => {
    hung.register("qus-e2e-hang");
    try {
      const { child, done } = startQus(["verify", "--driver", "docker", "--platforms", "s390x"]);
      await runningHelper();
      child.kill("SIGINT");
      const run = await done;
      expect(run.exitCode).toBe(130);
      expect(helperContainers()).toEqual([]);
    } finally {
      hung.unregister("qus-e2e-hang");
    }
  });

  it("tonistiigi/binfmt mode: the probe's container is stopped at its bound, removed, and reported as timed out", async () => {
    // Named as binfmt's own entry, so the stand-in lists it and qus probes it as a claimed platform.
    hung.register("qemu-s390x");
    try {
      const { run, report } = await qusJson([
        "verify",
        "--driver",
        "docker",
        "--platforms",
        "s390x",
        "--image",
        FAKE_TONISTIIGI,
      ]);
      expect(run.exitCode, run.stderr).toBe(1);
      expect(report.driverDetails).toMatchObject({ installer: "tonistiigi/binfmt", image: FAKE_TONISTIIGI });
      expect(report.platforms[0]?.verification).toContain("timed out: the emulator hung");
    } finally {
      hung.unregister("qemu-s390x");
    }
  });
});
