import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type EmulationError,
  ensureEmulation,
  explainStartFailure,
  forgetEmulation,
  withEmulation,
} from "@qus/testcontainers";
import Dockerode from "dockerode";
import { type ContainerRuntimeClient, GenericContainer } from "testcontainers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildBusyboxImage, docker, helperContainers, requireDocker, requireQusImage } from "./support/docker.js";
import { entryNames, registerRaw, removeQemuEntries, useCleanQemuTable } from "./support/kernel.js";

// Ryuk's image cannot be pulled here; the tests stop what they start.
process.env.TESTCONTAINERS_RYUK_DISABLED = "true";

const IMAGES: [debianArch: string, platform: string, machine: string][] = [
  ["arm64", "linux/arm64", "aarch64"],
  ["riscv64", "linux/riscv64", "riscv64"],
  ["s390x", "linux/s390x", "s390x"],
];
const RISCV64 = "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xf3\\x00";
const RISCV64_MASK = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";

/** A busybox container of a platform that stays up (`sleep`), as a test suite would start one. */
function busyboxContainer(debianArch: string, platform: string): GenericContainer {
  return new GenericContainer(`qus-e2e-busybox:${debianArch}`).withPlatform(platform).withCommand(["sleep", "300"]);
}

useCleanQemuTable(async () => {
  requireDocker();
  await requireQusImage();
  for (const [arch, platform] of IMAGES) buildBusyboxImage(arch, platform);
});

// Each test starts from a table without qemu-* entries (useCleanQemuTable): what an earlier test verified is gone.
beforeEach(() => forgetEmulation());

// Containers these tests started and did not stop (a failed assertion), removed after each test.
afterEach(() => {
  const left = docker(["ps", "--all", "--quiet", "--filter", "label=org.testcontainers=true"]).stdout;
  for (const id of left.split("\n").filter(Boolean)) docker(["rm", "--force", id]);
});

describe("withEmulation", () => {
  it("foreign-platform containers start through Testcontainers and answer uname -m", async () => {
    for (const [arch, platform, machine] of IMAGES) {
      const started = await withEmulation(busyboxContainer(arch, platform)).start();
      try {
        const result = await started.exec(["/bin/busybox", "uname", "-m"]);
        expect({ platform, exitCode: result.exitCode, machine: result.output.trim() }).toEqual({
          platform,
          exitCode: 0,
          machine,
        });
      } finally {
        await started.stop();
      }
    }
    expect(entryNames()).toEqual(expect.arrayContaining(["qemu-aarch64", "qemu-riscv64", "qemu-s390x"]));
    expect(helperContainers()).toEqual([]);
  });

  it("without it the container dies with exec format error; explainStartFailure says why and what to do", async () => {
    const container = busyboxContainer("arm64", "linux/arm64");
    const started = await container.start(); // Testcontainers reports nothing yet: the container is already gone
    const failure = await started.exec(["/bin/busybox", "true"]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(failure)).toMatch(/is not running/);
    const explained = (await explainStartFailure(failure, container)) as EmulationError;
    expect(explained.code).toBe("QUS_PLATFORM_NOT_RUNNABLE");
    expect(explained.message).toMatch(
      /^the container of qus-e2e-busybox:arm64 \(linux\/arm64\) did not start on the engine at unix:\/\/\/var\/run\/docker\.sock, whose architecture is x86_64: .*is not running/,
    );
    expect(explained.message).toContain("binfmt_misc on that engine: no entry for aarch64 (qemu-aarch64 is not registered)");
    expect(explained.hint).toContain('ensureEmulation({ platforms: ["linux/arm64"] })');
    expect(explained.cause).toBe(failure);
  });

  it("an error that is not about emulation comes back as it was", async () => {
    await ensureEmulation({ platforms: "linux/arm64" });
    const original = new Error("port 5432 was never bound");
    expect(await explainStartFailure(original, busyboxContainer("arm64", "linux/arm64"))).toBe(original);
  });
});

describe("ensureEmulation", () => {
  it("registers through Testcontainers' own client, no docker CLI, and reports each platform verified", async () => {
    const report = await ensureEmulation({ platforms: ["linux/riscv64", "s390x", "linux/amd64"] });
    expect(report.ok).toBe(true);
    expect(report.driver).toBe("testcontainers");
    expect(report.driverDetails).toMatchObject({
      endpoint: "unix:///var/run/docker.sock",
      image: "qus-binfmt:latest",
      privilege: "CapAdd SYS_ADMIN",
    });
    expect(report.platforms.map((p) => [p.platform, p.action, p.verified, p.ok])).toEqual([
      ["linux/riscv64", "register", true, true],
      ["linux/s390x", "register", true, true],
      ["linux/amd64", "native", null, true],
    ]);
    expect(helperContainers()).toEqual([]);
  });

  it("remembers verified platforms per engine for the process: a second call runs no helper", async () => {
    await ensureEmulation({ platforms: "linux/s390x" });
    removeQemuEntries(); // a helper run would register it again
    const again = await ensureEmulation({ platforms: "linux/s390x" });
    expect(again.platforms.map((p) => [p.platform, p.ok])).toEqual([["linux/s390x", true]]);
    expect(entryNames()).not.toContain("qemu-s390x");
  });

  it("takes QUS_PLATFORMS when no platforms are given, and says so when there are none", async () => {
    const saved = process.env.QUS_PLATFORMS;
    try {
      delete process.env.QUS_PLATFORMS;
      await expect(ensureEmulation()).rejects.toMatchObject({
        code: "QUS_USAGE",
        message: "no platforms to ensure: pass platforms, or set QUS_PLATFORMS",
      });
      process.env.QUS_PLATFORMS = "linux/ppc64le";
      const report = await ensureEmulation();
      expect(report.platforms.map((p) => [p.platform, p.ok])).toEqual([["linux/ppc64le", true]]);
    } finally {
      if (saved === undefined) delete process.env.QUS_PLATFORMS;
      else process.env.QUS_PLATFORMS = saved;
    }
  });

  it("an unknown platform is bad input, named", async () => {
    await expect(ensureEmulation({ platforms: "linux/arm65" })).rejects.toMatchObject({
      code: "QUS_UNKNOWN_PLATFORM",
      message: expect.stringContaining("linux/arm65"),
    });
  });

  it("a platform that cannot be made to run fails with that platform's reason and fix, and the report", async () => {
    // A distribution's stale entry for riscv64 with an interpreter that is not there: qus leaves it alone.
    registerRaw(`:qus-e2e-stale-riscv64:M::${RISCV64}:${RISCV64_MASK}:/nonexistent/qemu-riscv64:`);
    try {
      const error = (await ensureEmulation({ platforms: "linux/riscv64,linux/arm64" }).catch((e) => e)) as EmulationError;
      expect(error.name).toBe("QusError");
      expect(error.message).toMatch(/^these platforms cannot run on the engine at unix:\/\/\/var\/run\/docker\.sock \(x86_64\):\n {2}linux\/riscv64: /);
      expect(error.message).toContain("qus-e2e-stale-riscv64");
      expect(error.message).toMatch(/\n {4}fix: /);
      expect(error.message).not.toContain("linux/arm64:");
      expect(error.report?.ok).toBe(false);
      expect(error.report?.platforms.find((p) => p.platform === "linux/arm64")?.ok).toBe(true);
    } finally {
      const stale = "/proc/sys/fs/binfmt_misc/qus-e2e-stale-riscv64";
      spawnSync("sh", ["-c", 'test -e "$1" && printf %s -1 > "$1"', "sh", stale]);
    }
  });
});

describe("an engine that does not answer", () => {
  let dir: string;
  let sockets: Socket[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "qus-e2e-silent-"));
    sockets = [];
  });
  afterEach(() => {
    for (const socket of sockets) socket.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives QUS_ENGINE_UNREACHABLE within the engine timeout, naming the endpoint", async () => {
    const socketPath = join(dir, "docker.sock");
    const server = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const client = { container: { dockerode: new Dockerode({ socketPath }) } } as unknown as ContainerRuntimeClient;
    process.env.QUS_ENGINE_TIMEOUT = "1";
    try {
      const error = await ensureEmulation({ platforms: "linux/arm64", client }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: "QUS_ENGINE_UNREACHABLE",
        message: `cannot reach the container engine at unix://${socketPath}: GET /info did not answer within 1 s`,
      });
    } finally {
      delete process.env.QUS_ENGINE_TIMEOUT;
      server.close();
    }
  });
});
