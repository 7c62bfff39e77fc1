import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QUS_IMAGE } from "@qus/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { buildBusyboxImage, helperContainers } from "./support/docker.js";
import { entryNames, qus, qusJson, useCleanQemuTable } from "./support/kernel.js";
import { podman, requirePodman } from "./support/podman.js";

// Debian 12's rootful Podman on this machine: its helper containers reach the same kernel as the host, so the
// tests check the table from the host side too. Serial; the qemu-* entries are put back afterwards.
const PLATFORMS: [debianArch: string, platform: string, machine: string][] = [
  ["arm64", "linux/arm64", "aarch64"],
  ["s390x", "linux/s390x", "s390x"],
  ["riscv64", "linux/riscv64", "riscv64"],
];
const LIST = PLATFORMS.map(([, platform]) => platform).join(",");
const BUSYBOX_IMAGES = PLATFORMS.map(([arch]) => `qus-e2e-busybox:${arch}`);
const INSTALLER = QUS_IMAGE;

/** The installer's tags `qus image build` made here, removed afterwards unless the installer was there before. */
let builtTags: string[] = [];
let hadInstaller = false;

useCleanQemuTable(() => {
  requirePodman();
  hadInstaller = podman(["image", "exists", INSTALLER]).status === 0;
  for (const [arch, platform] of PLATFORMS) buildBusyboxImage(arch, platform, "podman");
});

afterAll(() => {
  podman(["rmi", "--force", ...BUSYBOX_IMAGES]);
  if (!hadInstaller && builtTags.length > 0) podman(["rmi", "--force", ...builtTags]);
});

// Whatever a test did, qus left no container behind: each one it makes is named qus-helper-*.
afterEach(() => {
  expect(helperContainers("podman")).toEqual([]);
});

/** `podman run --platform` of a foreign busybox image: what `uname -m` says in it. */
function runForeign(arch: string, platform: string) {
  return podman([
    "run",
    "--rm",
    "--network=none",
    "--pull=never",
    "--platform",
    platform,
    `qus-e2e-busybox:${arch}`,
    "uname",
    "-m",
  ]);
}

describe("qus --driver podman", () => {
  it("qus image build --driver podman: the installer, built by podman from Debian packages, labelled as qus's", async () => {
    const run = await qus(["image", "build", "--driver", "podman", "--json"]);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { tags: string[]; built: boolean; architecture: string };
    builtTags = result.tags;
    expect(result).toMatchObject({ built: true, architecture: "amd64" });
    expect(result.tags).toContain(INSTALLER);
    const labels = podman(["image", "inspect", "--format", "{{json .Config.Labels}}", INSTALLER]);
    expect(labels.status).toBe(0);
    expect(JSON.parse(labels.stdout)).toMatchObject({ "org.opencontainers.image.title": "qus-binfmt" });
  });

  it("ensure registers and verifies with least privilege; foreign images then run with podman run --platform", async () => {
    for (const [arch, platform] of PLATFORMS) {
      const before = runForeign(arch, platform);
      expect(before.status, `${platform} ran before qus ensure`).not.toBe(0);
    }

    const { run, report } = await qusJson(["ensure", "--driver", "podman", "--platforms", LIST]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(report.driver).toBe("podman");
    expect(report.driverDetails).toMatchObject({ image: INSTALLER, privilege: "--cap-add SYS_ADMIN" });
    expect(report.driverDetails?.qemuVersion).toMatch(/^qemu-\S+ version /);
    expect(report.platforms.map((p) => [p.platform, p.action, p.verified, p.flags])).toEqual(
      PLATFORMS.map(([, platform]) => [platform, "register", true, "OCF"]),
    );
    // The entries live in the host's kernel, with F so they outlive the helper container.
    expect(entryNames()).toEqual(expect.arrayContaining(["qemu-aarch64", "qemu-s390x", "qemu-riscv64"]));

    for (const [arch, platform, machine] of PLATFORMS) {
      const result = runForeign(arch, platform);
      expect({ platform, status: result.status, machine: result.stdout }).toEqual({ platform, status: 0, machine });
    }
  });

  it("verify, a second ensure that changes nothing, and remove, all through podman", async () => {
    expect((await qus(["ensure", "--driver", "podman", "--platforms", LIST])).exitCode).toBe(0);

    const verified = await qusJson(["verify", "--driver", "podman", "--platforms", LIST]);
    expect(verified.run.exitCode, verified.run.stderr).toBe(0);
    expect(verified.report.driver).toBe("podman");
    expect(verified.report.platforms.map((p) => p.verified)).toEqual([true, true, true]);

    const again = await qusJson(["ensure", "--driver", "podman", "--platforms", LIST]);
    expect(again.run.exitCode).toBe(0);
    expect(again.report.platforms.map((p) => [p.action, p.verified])).toEqual(Array(3).fill(["ok", true]));
    expect(again.report.driverDetails).toMatchObject({ privilege: "--cap-add SYS_ADMIN" });

    const removed = await qusJson(["remove", "--driver", "podman", "--platforms", LIST]);
    expect(removed.run.exitCode, removed.run.stderr).toBe(0);
    expect(removed.report.driver).toBe("podman");
    expect(removed.report.platforms.map((p) => [p.action, p.after])).toEqual(Array(3).fill(["remove", "absent"]));
    expect(entryNames().filter((name) => ["qemu-aarch64", "qemu-s390x", "qemu-riscv64"].includes(name))).toEqual([]);
    expect(runForeign("arm64", "linux/arm64").status).not.toBe(0);
  });

  it("rootless podman (qus and podman as nobody): QUS_ENGINE_ROOTLESS, exit 3, nothing run", async () => {
    const nobody = 65534;
    const home = mkdtempSync(join(tmpdir(), "qus-e2e-rootless-"));
    const runtimeDir = join(home, "run");
    mkdirSync(runtimeDir, { mode: 0o700 });
    for (const dir of [home, runtimeDir]) chownSync(dir, nobody, nobody);
    // Everything rootless podman keeps (storage, runtime files) goes below this folder, removed afterwards.
    const env = { HOME: home, XDG_RUNTIME_DIR: runtimeDir, XDG_CONFIG_HOME: join(home, ".config") };
    try {
      const run = await qus(["status", "--driver", "podman", "--platforms", "arm64"], { uid: nobody, env });
      expect(run.exitCode, run.stderr).toBe(3);
      expect(run.stderr).toContain("QUS_ENGINE_ROOTLESS");
      expect(run.stderr).toContain("the podman engine at the default endpoint is rootless");
    } finally {
      stopRootlessPause(runtimeDir);
      rmSync(home, { recursive: true, force: true });
    }
  });
});

/** Rootless podman leaves a pause process (holding its user namespace) behind: stop it, it is ours. */
function stopRootlessPause(runtimeDir: string): void {
  const pid = podmanPausePid(runtimeDir);
  if (pid !== undefined) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

function podmanPausePid(runtimeDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(runtimeDir, "libpod", "tmp", "pause.pid"), "utf8").trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}
