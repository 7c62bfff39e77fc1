import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BuildSpec, ContainerRunner, EngineInfo } from "../runner/types.js";
import { caught } from "../test-support.js";
import { buildImage } from "./build.js";

// The image build through a fake runner (no engine here) from .deb files made with the real dpkg-deb: a busybox
// stand-in and a "QEMU" that only prints its version.
const work = mkdtempSync(join(tmpdir(), "qus-image-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function makeDeb(dir: string, name: string, version: string, files: Record<string, string>): void {
  const root = join(work, `${name}-root`);
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  writeFileSync(
    join(root, "DEBIAN", "control"),
    `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: qus tests <qus@example.invalid>\nDescription: test stand-in\n`,
  );
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
    chmodSync(join(root, path), 0o755);
  }
  execFileSync("dpkg-deb", ["--root-owner-group", "--build", root, join(dir, `${name}_${version}_amd64.deb`)], {
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

function fakeRunner(info: Partial<EngineInfo> = {}) {
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
    },
  } as unknown as ContainerRunner;
  return { runner, builds };
}

describe("buildImage (fake runner, real dpkg-deb)", () => {
  it("assembles busybox and QEMU into a context, tags it with QEMU's version, and builds it once", async () => {
    const { runner, builds } = fakeRunner();
    const result = await buildImage({ debDir: debs, runner });
    expect(result).toMatchObject({
      built: true,
      tags: ["qus-binfmt:latest", "qus-binfmt:qemu-7.2.99"],
      qemuVersion: "qemu-aarch64 version 7.2.99 (test)",
      interpreters: ["qemu-aarch64-static", "qemu-s390x-static"],
    });
    expect(result.dockerfile).toContain('org.qus.qemu.version="qemu-aarch64 version 7.2.99 (test)"');
    expect(builds).toHaveLength(1);
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
    expect(result.tags[0]).toBe("my/qus:1");
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
