import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUS_IMAGE, QUS_IMAGE_REPOSITORY } from "../installer-image.js";
import { cacheFolderName, writePointer } from "../qemu/cache.js";
import { hostDebianArch } from "../qemu/fetch.js";
import type { BuildSpec, ContainerRunner } from "../runner/types.js";
import { caught } from "../test-support.js";
import { QUS_VERSION } from "../version.js";
import { buildImage } from "./build.js";

// `qus image build --qemu-from`: QEMU from qus's cache (a folder made here, as a fetch leaves it: a cache hit, no
// network), busybox from a .deb made with the real dpkg-deb; a fake runner stands in for the engine.
const work = mkdtempSync(join(tmpdir(), "qus-image-qemu-from-test-"));
const saved = process.env.QUS_QEMU_CACHE;
afterAll(() => {
  if (saved === undefined) delete process.env.QUS_QEMU_CACHE;
  else process.env.QUS_QEMU_CACHE = saved;
  rmSync(work, { recursive: true, force: true });
});

const debs = join(work, "debs");
const VERSION = "1:10.0.13+ds-0+deb13u1";
const arch = hostDebianArch() ?? "amd64";

beforeAll(() => {
  const root = join(work, "busybox-root");
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  mkdirSync(join(root, "bin"), { recursive: true });
  writeFileSync(
    join(root, "DEBIAN", "control"),
    `Package: busybox-static\nVersion: 1:1.35.0-4\nArchitecture: amd64\nMaintainer: qus tests <qus@example.invalid>\nDescription: test stand-in\n`,
  );
  writeFileSync(join(root, "bin", "busybox"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(root, "bin", "busybox"), 0o755);
  mkdirSync(debs);
  execFileSync("dpkg-deb", ["--root-owner-group", "--build", root, join(debs, "busybox-static_1.35.0-4_amd64.deb")], {
    stdio: "ignore",
  });
  // The cache folder a fetch of debian:trixie left for amd64.
  const cache = join(work, "cache");
  const folder = join(cache, cacheFolderName(VERSION, "amd64", arch));
  mkdirSync(folder, { recursive: true });
  const emulator = "#!/bin/sh\necho 'qemu-aarch64 version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)'\n";
  writeFileSync(join(folder, "qemu-aarch64-static"), emulator, { mode: 0o755 });
  writeFileSync(
    join(folder, "qus-qemu.json"),
    JSON.stringify({
      source: "debian:trixie",
      package: "qemu-user",
      packageVersion: VERSION,
      architecture: "amd64",
      qemuVersion: "qemu-aarch64 version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)",
      emulators: ["qemu-aarch64-static"],
      mirror: "http://deb.debian.org/debian",
      verifiedBy: "gpgv",
      fetchedAt: "2026-11-27T00:00:00.000Z",
    }),
  );
  writePointer(cache, "debian:trixie@amd64", cacheFolderName(VERSION, "amd64", arch));
  process.env.QUS_QEMU_CACHE = cache;
});

function fakeRunner() {
  const builds: { spec: BuildSpec; emulator: boolean }[] = [];
  const runner = {
    name: "fake",
    endpoint: "a test engine",
    info: async () => ({ cpu: "x86_64", architecture: "x86_64", version: "1", rootless: false, userns: false }),
    async buildImage(spec: BuildSpec) {
      builds.push({ spec, emulator: existsSync(join(spec.contextDir, "rootfs/usr/bin/qemu-aarch64-static")) });
    },
  } as unknown as ContainerRunner;
  return { runner, builds };
}

describe("buildImage with qemuFrom (fake runner, cached QEMU)", () => {
  it("puts the cached QEMU in the image, names its source and version in labels and tags", async () => {
    const { runner, builds } = fakeRunner();
    const result = await buildImage({ debDir: debs, runner, qemuFrom: "debian:trixie", env: {} });
    expect(result).toMatchObject({
      built: true,
      qemuSource: "debian:trixie",
      tags: [QUS_IMAGE, `${QUS_IMAGE_REPOSITORY}:${QUS_VERSION}-qemu-10.0.13`],
      qemuVersion: "qemu-aarch64 version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)",
    });
    expect(result.packages.map((pkg) => [pkg.name, pkg.version])).toEqual([
      ["busybox-static", "1:1.35.0-4"],
      ["qemu-user", VERSION],
    ]);
    expect(result.dockerfile).toContain('LABEL org.qus.qemu.source="debian:trixie"');
    expect(result.dockerfile).toContain(`LABEL org.qus.package.qemu-user="${VERSION}"`);
    expect(builds.map((build) => build.emulator)).toEqual([true]);
  });

  it("an unknown source is bad input before the engine is asked anything", async () => {
    const { runner, builds } = fakeRunner();
    const error = await caught(() => buildImage({ debDir: debs, runner, qemuFrom: "fedora:41" }));
    expect(error.code).toBe("QUS_QEMU_SOURCE_UNKNOWN");
    expect(builds).toEqual([]);
  });
});
