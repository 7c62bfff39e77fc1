import { describe, expect, it } from "vitest";
import { buildBusyboxImage, docker, requireDocker, requireQusImage } from "./support/docker.js";
import { entryNames, qus, qusJson, registerRaw, removeRaw, useCleanQemuTable } from "./support/kernel.js";

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

useCleanQemuTable(async () => {
  requireDocker();
  await requireQusImage();
  for (const [arch, platform] of IMAGES) buildBusyboxImage(arch, platform);
});

describe("qus ensure --driver docker", () => {
  it("registers and verifies through the helper container with least privilege; foreign images then run", async () => {
    const before = docker(["run", "--rm", "--platform", "linux/arm64", "qus-e2e-busybox:arm64", "uname", "-m"]);
    expect(before.status).not.toBe(0);
    expect(before.stderr).toMatch(/exec format error/);

    const { run, report } = await qusJson(["ensure", "--driver", "docker", "--platforms", FIVE]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(report.driver).toBe("docker");
    expect(report.driverDetails).toMatchObject({ image: "qus-binfmt:latest", privilege: "--cap-add SYS_ADMIN" });
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
  });

  it("an unreachable engine", async () => {
    const run = await qus(["status", "--driver", "docker"], { env: { DOCKER_HOST: "unix:///tmp/qus-no-engine.sock" } });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/QUS_ENGINE_UNREACHABLE/);
    expect(run.stderr).toMatch(/qus-no-engine\.sock/);
  });

  it("without qus's image and without a registry: QUS_IMAGE_MISSING naming the pinned fallback", async () => {
    expect(docker(["tag", "qus-binfmt:latest", "qus-binfmt:e2e-kept"]).status).toBe(0);
    expect(docker(["rmi", "qus-binfmt:latest"]).status).toBe(0);
    try {
      const run = await qus(["ensure", "--driver", "docker", "--platforms", "arm64"]);
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toMatch(/QUS_IMAGE_MISSING/);
      expect(run.stderr).toMatch(/tonistiigi\/binfmt:qemu-/);
      expect(run.stderr).toMatch(/qus image build/);
    } finally {
      docker(["tag", "qus-binfmt:e2e-kept", "qus-binfmt:latest"]);
      docker(["rmi", "qus-binfmt:e2e-kept"]);
    }
  });

  it("a missing image, with the command that builds it", async () => {
    const run = await qus(["ensure", "--driver", "docker", "--platforms", "arm64", "--image", "qus-binfmt:not-built"]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/QUS_IMAGE_MISSING/);
    expect(run.stderr).toMatch(/qus-binfmt:not-built/);
  });
});
