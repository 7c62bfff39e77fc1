import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { QusError } from "../errors.js";
import { QUS_IMAGE, QUS_IMAGE_REPOSITORY } from "../installer-image.js";
import type { BuildSpec, ContainerRunner, EngineInfo } from "../runner/types.js";
import { caught } from "../test-support.js";
import { QUS_VERSION } from "../version.js";
import { buildImage } from "./build.js";

// The image build through a fake runner (no engine here) from .deb files made with the real dpkg-deb: a busybox
// stand-in and a "QEMU" that only prints its version.
const work = mkdtempSync(join(tmpdir(), "qus-image-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function makeDeb(dir: string, name: string, version: string, files: Record<string, string>, arch = "amd64"): void {
  const root = join(work, `${name}-${arch}-root`);
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  writeFileSync(
    join(root, "DEBIAN", "control"),
    `Package: ${name}\nVersion: ${version}\nArchitecture: ${arch}\nMaintainer: qus tests <qus@example.invalid>\nDescription: test stand-in\n`,
  );
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
    chmodSync(join(root, path), 0o755);
  }
  execFileSync("dpkg-deb", ["--root-owner-group", "--build", root, join(dir, `${name}_${version}_${arch}.deb`)], {
    stdio: "ignore",
  });
}

const debs = join(work, "debs");
mkdirSync(debs);
makeDeb(debs, "busybox-static", "1:1.35.0-4", { "bin/busybox": "#!/bin/sh\nexit 0\n" });
makeDeb(debs, "qemu-user-static", "1:7.2+dfsg-7", {
  "usr/bin/qemu-aarch64-static": "#!/bin/sh\necho 'qemu-aarch64 version 7.2.99 (test)'\n",
  "usr/bin/qemu-s390x-static": "#!/bin/sh\necho 'qemu-s390x version 7.2.99 (test)'\n",
});

// The same stand-ins as Debian's arm64 packages, for --platform linux/arm64.
const arm64Debs = join(work, "debs-arm64");
mkdirSync(arm64Debs);
makeDeb(arm64Debs, "busybox-static", "1:1.35.0-4", { "bin/busybox": "#!/bin/sh\nexit 0\n" }, "arm64");
makeDeb(
  arm64Debs,
  "qemu-user-static",
  "1:7.2+dfsg-7",
  // Not runnable here, as an arm64 QEMU is not on an amd64 machine without emulation.
  { "usr/bin/qemu-x86_64-static": "\u007fELF, but not for this machine\n" },
  "arm64",
);

function fakeRunner(info: Partial<EngineInfo> = {}, fail?: QusError) {
  const builds: { spec: BuildSpec; files: string[] }[] = [];
  const runner = {
    name: "fake",
    endpoint: "a test engine",
    info: async (): Promise<EngineInfo> => ({
      cpu: "x86_64",
      architecture: "x86_64",
      version: "1",
      rootless: false,
      userns: false,
      endpoint: "a test engine",
      ...info,
    }),
    async buildImage(spec: BuildSpec) {
      const wanted = ["Dockerfile", "rootfs/bin/busybox", "rootfs/usr/bin/qemu-aarch64-static", "rootfs/tmp"];
      builds.push({ spec, files: wanted.filter((path) => existsSync(join(spec.contextDir, path))) });
      if (fail) throw fail;
    },
  } as unknown as ContainerRunner;
  return { runner, builds };
}

describe("buildImage (fake runner, real dpkg-deb)", () => {
  it("assembles busybox and QEMU into a context, tags it with QEMU's version, and builds it once", async () => {
    const { runner, builds } = fakeRunner();
    const result = await buildImage({ debDir: debs, runner, env: {} });
    expect(result).toMatchObject({
      built: true,
      // The default reference, so the image built satisfies the default with no registry.
      tags: [QUS_IMAGE, `${QUS_IMAGE_REPOSITORY}:${QUS_VERSION}-qemu-7.2.99`],
      qemuVersion: "qemu-aarch64 version 7.2.99 (test)",
      interpreters: ["qemu-aarch64-static", "qemu-s390x-static"],
    });
    expect(result.dockerfile).toContain('org.qus.qemu.version="qemu-aarch64 version 7.2.99 (test)"');
    expect(builds).toHaveLength(1);
    expect(builds[0]?.spec.platform).toBeUndefined();
    expect(builds[0]?.files).toEqual([
      "Dockerfile",
      "rootfs/bin/busybox",
      "rootfs/usr/bin/qemu-aarch64-static",
      "rootfs/tmp",
    ]);
  });

  it("a dry run prepares the Dockerfile and builds nothing", async () => {
    const { runner, builds } = fakeRunner();
    const result = await buildImage({ debDir: debs, runner, dryRun: true, tag: "my/qus:1" });
    expect(result.built).toBe(false);
    expect(result.tags).toEqual(["my/qus:1", `my/qus:${QUS_VERSION}-qemu-7.2.99`]);
    expect(builds).toEqual([]);
  });

  it("tags QUS_IMAGE from the environment when no tag is given", async () => {
    const { runner } = fakeRunner();
    const env = { QUS_IMAGE: "127.0.0.1:5000/qus/qus-binfmt:9" };
    const result = await buildImage({ debDir: debs, runner, dryRun: true, env });
    expect(result.tags).toEqual([env.QUS_IMAGE, `127.0.0.1:5000/qus/qus-binfmt:${QUS_VERSION}-qemu-7.2.99`]);
  });

  it("--platform linux/arm64 builds from arm64 packages, for that platform, its installer told it is arm64", async () => {
    const { runner, builds } = fakeRunner();
    const result = await buildImage({ debDir: arm64Debs, runner, platform: "arm64", env: {} });
    expect(result.architecture).toBe("linux/arm64");
    // Its QEMU is an arm64 program this machine may not run: the version tag is the package's upstream version.
    expect(result.tags[1]).toBe(`${QUS_IMAGE_REPOSITORY}:${QUS_VERSION}-qemu-7.2`);
    expect(result.qemuVersion).toBe("qemu-user-static 1:7.2+dfsg-7");
    expect(result.interpreters).toEqual(["qemu-x86_64-static"]);
    expect(builds[0]?.spec).toMatchObject({ platform: "linux/arm64", tags: [QUS_IMAGE, expect.any(String)] });
    const amd64Only = await caught(() => buildImage({ debDir: debs, runner, platform: "linux/arm64" }));
    expect(amd64Only.message).toContain("no busybox-static package for arm64");
  });

  it("a foreign platform's failed build says it ran under emulation, and names qus ensure for it", async () => {
    const refused = new QusError("QUS_IMAGE_BUILD_FAILED", "docker build of x failed: exec format error");
    const { runner } = fakeRunner({}, refused);
    const error = await caught(() => buildImage({ debDir: arm64Debs, runner, platform: "linux/arm64" }));
    expect(error.code).toBe("QUS_IMAGE_BUILD_FAILED");
    expect(error.message).toContain("exec format error");
    expect(error.message).toContain("under emulation");
    expect(error.hint).toContain("qus ensure --platforms linux/arm64");
    expect(error.cause).toBe(refused);
    // The engine's own platform: the engine's error as it is.
    const native = await caught(() => buildImage({ debDir: debs, runner, platform: "linux/amd64" }));
    expect(native).toBe(refused);
  });

  it("--platform takes one platform Debian releases", async () => {
    const { runner, builds } = fakeRunner();
    const two = await caught(() => buildImage({ debDir: debs, runner, platform: "linux/arm64,linux/s390x" }));
    expect(two.code).toBe("QUS_USAGE");
    const unknown = await caught(() => buildImage({ debDir: debs, runner, platform: "linux/vax" }));
    expect(unknown.code).toBe("QUS_UNKNOWN_PLATFORM");
    expect(builds).toEqual([]);
  });

  it("names what is missing: a package in --deb-dir, an engine architecture Debian has none for", async () => {
    const empty = mkdtempSync(join(work, "empty-"));
    const missing = await caught(() => buildImage({ debDir: empty, runner: fakeRunner().runner }));
    expect(missing.code).toBe("QUS_IMAGE_BUILD_FAILED");
    expect(missing.message).toContain(empty);
    const foreign = await caught(() =>
      buildImage({ debDir: debs, runner: fakeRunner({ cpu: undefined, architecture: "vax" }).runner }),
    );
    expect(foreign.message).toContain("vax");
  });
});
