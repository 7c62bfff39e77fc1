import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { QUS_IMAGE } from "@qus/core";
import { buildProbe } from "@qus/core/runner";
import {
  createEngineRunner,
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
import { entryNames, registerStaleRiscv64, removeQemuEntries, useCleanQemuTable } from "./support/kernel.js";

// Ryuk's image cannot be pulled here; the tests stop what they start.
process.env.TESTCONTAINERS_RYUK_DISABLED = "true";

const IMAGES: [debianArch: string, platform: string, machine: string][] = [
  ["arm64", "linux/arm64", "aarch64"],
  ["riscv64", "linux/riscv64", "riscv64"],
  ["s390x", "linux/s390x", "s390x"],
];

/** A busybox container of a platform that stays up (`sleep`), as a test suite would start one. */
function busyboxContainer(debianArch: string, platform: string): GenericContainer {
  return new GenericContainer(`qus-e2e-busybox:${debianArch}`).withPlatform(platform).withCommand(["sleep", "300"]);
}

/** Waits (at most 10 s) until the engine says the container no longer runs. */
async function waitUntilStopped(id: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if (docker(["inspect", "--format", "{{.State.Running}}", id]).stdout.trim() !== "true") return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
    // Or about to be: its init fails a moment after start returns, and an exec in that moment runs (and fails) inside.
    await waitUntilStopped(started.getId());
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
    expect(explained.message).toContain(
      "binfmt_misc on that engine: no entry for aarch64 (qemu-aarch64 is not registered)",
    );
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
      image: QUS_IMAGE,
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

  it("an engine without an installer image and no registry: qus's own is built there through the API", async () => {
    const saved = "qus-binfmt:qus-e2e-saved";
    expect(docker(["tag", QUS_IMAGE, saved]).status).toBe(0);
    expect(docker(["rmi", QUS_IMAGE]).status).toBe(0);
    try {
      const report = await ensureEmulation({ platforms: "linux/arm64" });
      expect(report.platforms.map((p) => [p.platform, p.ok])).toEqual([["linux/arm64", true]]);
      expect(report.driverDetails).toMatchObject({ image: QUS_IMAGE });
      const labels = docker(["image", "inspect", "--format", "{{json .Config.Labels}}", QUS_IMAGE]);
      expect(labels.stdout).toContain('"org.qus.qemu.version"');
    } finally {
      if (docker(["image", "inspect", QUS_IMAGE]).status !== 0) docker(["tag", saved, QUS_IMAGE]);
      docker(["rmi", saved]);
    }
  }, 600_000);

  it("a platform that cannot be made to run fails with that platform's reason and fix, and the report", async () => {
    // A distribution's stale entry for riscv64 with an interpreter that is not there: qus leaves it alone.
    registerStaleRiscv64("qus-e2e-stale-riscv64");
    try {
      const error = (await ensureEmulation({ platforms: "linux/riscv64,linux/arm64" }).catch(
        (e) => e,
      )) as EmulationError;
      expect(error.name).toBe("QusError");
      expect(error.message).toMatch(
        /^these platforms cannot run on the engine at unix:\/\/\/var\/run\/docker\.sock \(x86_64\):\n {2}linux\/riscv64: /,
      );
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

describe("the Engine API runner (what ensureEmulation runs helpers through)", () => {
  const runner = () =>
    createEngineRunner(new Dockerode({ socketPath: "/var/run/docker.sock" }), {
      endpoint: "unix:///var/run/docker.sock",
      runTimeoutMs: 2_000,
    });
  const spec = { needsBinfmtMount: false, privilege: "least" } as const;

  it("runProgram: a foreign program fails with exec format error until emulation is there, then exits 0", async () => {
    const probe = buildProbe("s390x");
    const image = { ...spec, image: "qus-e2e-busybox:s390x", platform: "linux/s390x" };
    const before = await runner().runProgram(image, probe);
    expect(before).toMatchObject({ kind: "not-started", reason: "exec-format" });
    await ensureEmulation({ platforms: "linux/s390x" });
    const after = await runner().runProgram(image, probe);
    expect(after).toMatchObject({ kind: "ran", exitCode: 0 });
    expect(helperContainers()).toEqual([]);
  });

  it("run: a container that outlives its time is stopped, reported timed out, and removed", async () => {
    const started = Date.now();
    const result = await runner().run({
      ...spec,
      image: QUS_IMAGE,
      entrypoint: "/bin/busybox",
      command: ["sleep", "60"],
    });
    expect(result.kind).toBe("timed-out");
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(helperContainers()).toEqual([]);
  });

  it("run: a container that runs longer than the engine timeout keeps its output (only the calls are bounded by it)", async () => {
    process.env.QUS_ENGINE_TIMEOUT = "1";
    try {
      const slow = createEngineRunner(new Dockerode({ socketPath: "/var/run/docker.sock" }), {
        endpoint: "unix:///var/run/docker.sock",
        runTimeoutMs: 20_000,
      });
      const result = await slow.run({
        ...spec,
        image: QUS_IMAGE,
        entrypoint: "/bin/busybox",
        command: ["sh", "-c", "sleep 2; echo done; echo said >&2"],
      });
      expect(result).toEqual({ kind: "ran", exitCode: 0, stdout: "done\n", stderr: "said\n" });
    } finally {
      delete process.env.QUS_ENGINE_TIMEOUT;
    }
  });

  it("run: a container that prints without end is ended at the output cap, removed, and QUS_OUTPUT_TOO_LARGE", async () => {
    const endless = createEngineRunner(new Dockerode({ socketPath: "/var/run/docker.sock" }), {
      endpoint: "unix:///var/run/docker.sock",
      runTimeoutMs: 120_000,
    });
    const before = process.memoryUsage().rss;
    const run = endless.run({ ...spec, image: QUS_IMAGE, entrypoint: "/bin/busybox", command: ["yes"] });
    await expect(run).rejects.toMatchObject({ code: "QUS_OUTPUT_TOO_LARGE" });
    // The cap is 32 MiB of text; far less than the gigabytes an unbounded read reaches in that time.
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 2 ** 20);
    expect(helperContainers()).toEqual([]);
  });

  it("run: an image the engine does not have is not started, no-such-image, with the engine's words", async () => {
    const result = await runner().run({ ...spec, image: "qus-e2e-missing:1", command: ["true"] });
    expect(result).toMatchObject({ kind: "not-started", reason: "no-such-image" });
    expect(result.kind === "not-started" && result.detail).toMatch(
      /^Error response from daemon: No such image: qus-e2e-missing:1/,
    );
  });
});

describe("a user's test suite, run as a user runs it", () => {
  const suite = fileURLToPath(new URL("./fixtures/testcontainers-user", import.meta.url));
  const modules = fileURLToPath(new URL("../node_modules", import.meta.url));

  /** Runs a test runner in the fixture folder, with this process's environment minus this Vitest's own. */
  function runSuite(argv: readonly string[], env: Record<string, string>) {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^(VITEST|NODE_OPTIONS$|TEST$)/.test(key)),
    );
    const result = spawnSync(process.execPath, argv, {
      cwd: suite,
      env: { ...inherited, TESTCONTAINERS_RYUK_DISABLED: "true", NO_COLOR: "1", ...env },
      encoding: "utf8",
      timeout: 240_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }
  const vitest = (config: string, env: Record<string, string>) =>
    runSuite([join(modules, "vitest/vitest.mjs"), "run", "--config", config], env);

  it("Vitest, one line of set-up (globalSetup) and QUS_PLATFORMS: the s390x container runs", () => {
    const run = vitest("vitest.config.ts", { QUS_PLATFORMS: "linux/s390x" });
    expect(run.output).toMatch(/Tests\s+1 passed/);
    expect(run.status, run.output).toBe(0);
    expect(entryNames()).toContain("qemu-s390x");
  });

  it("Vitest, the platforms given to the factory in vitest.config.ts", () => {
    const run = vitest("vitest.factory.config.ts", {});
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/Tests\s+1 passed/);
  });

  it("Vitest: a platform that cannot be set up fails the run before any test, saying why", () => {
    const run = vitest("vitest.config.ts", { QUS_PLATFORMS: "linux/arm65" });
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('QUS_PLATFORMS=linux/arm65: unknown platform "linux/arm65"');
    expect(run.output).not.toMatch(/Tests\s+1 passed/);
    expect(entryNames()).not.toContain("qemu-s390x");
  });

  it("Jest, globalSetup and QUS_PLATFORMS: the s390x container runs and the test reads the report", () => {
    const run = runSuite([join(modules, "jest/bin/jest.js"), "--config", "jest.config.mjs", "--rootDir", suite], {
      QUS_PLATFORMS: "linux/s390x",
      NODE_OPTIONS: "--experimental-vm-modules",
    });
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/Tests:\s+1 passed/);
  });
});
