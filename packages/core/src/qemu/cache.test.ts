import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { caught } from "../test-support.js";
import {
  cacheFolderName,
  ensureCacheRoot,
  installFolder,
  listCached,
  META_FILE,
  qemuCacheRoot,
  readPointer,
  removeStalePartials,
  writePointer,
} from "./cache.js";

const work = mkdtempSync(join(tmpdir(), "qus-qemu-cache-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function completeFolder(name: string, version = "1:10.0.13+ds-0+deb13u1"): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "qemu-aarch64-static"), "x");
  writeFileSync(
    join(dir, META_FILE),
    JSON.stringify({ source: "debian:trixie", packageVersion: version, emulators: ["qemu-aarch64-static"] }),
  );
  return dir;
}

describe("the QEMU cache", () => {
  it("lives in /var/lib/qus/qemu for root, the user's cache otherwise, or QUS_QEMU_CACHE", () => {
    expect(qemuCacheRoot({}, true)).toBe("/var/lib/qus/qemu");
    expect(qemuCacheRoot({ XDG_CACHE_HOME: "/home/u/.cache" }, false)).toBe("/home/u/.cache/qus/qemu");
    expect(qemuCacheRoot({ QUS_QEMU_CACHE: "/srv/qemu" }, true)).toBe("/srv/qemu");
  });

  it("names folders by package version without epoch; another architecture is suffixed", () => {
    expect(cacheFolderName("1:10.0.13+ds-0+deb13u1", "amd64", "amd64")).toBe("10.0.13+ds-0+deb13u1");
    expect(cacheFolderName("1:7.2+dfsg-7+deb12u18+b3", "arm64", "amd64")).toBe("7.2+dfsg-7+deb12u18+b3_arm64");
    expect(cacheFolderName("1:1/../x", "amd64", "amd64")).not.toMatch(/[/:]/);
  });

  it("moves a complete folder into place in one rename; a racing copy of the same version is dropped", () => {
    const root = join(work, "root");
    mkdirSync(root);
    expect(installFolder(completeFolder("a"), join(root, "10.0.13"))).toBe("installed");
    expect(installFolder(completeFolder("b"), join(root, "10.0.13"))).toBe("raced");
    expect(readdirSync(work)).not.toContain("b");
    expect(listCached(root).map((entry) => entry.folder)).toEqual([join(root, "10.0.13")]);
  });

  it("lists only complete folders: no partial downloads, no folder whose emulator is gone", () => {
    const root = join(work, "list");
    mkdirSync(join(root, ".partial-x"), { recursive: true });
    mkdirSync(join(root, "empty"));
    installFolder(completeFolder("c"), join(root, "ok"));
    installFolder(completeFolder("d"), join(root, "broken"));
    rmSync(join(root, "broken", "qemu-aarch64-static"));
    expect(listCached(root).map((entry) => entry.folder)).toEqual([join(root, "ok")]);
  });

  it("removes partial folders of killed fetches once they are an hour old", () => {
    const root = join(work, "stale");
    mkdirSync(join(root, ".partial-old"), { recursive: true });
    removeStalePartials(root, Date.now() + 7_200_000);
    expect(readdirSync(root)).toEqual([]);
  });

  it("remembers which folder a source resolved to", () => {
    const root = join(work, "pointers");
    mkdirSync(root);
    writePointer(root, "debian:trixie@amd64", "10.0.13");
    writePointer(root, "debian:sid@amd64", "11.1.3");
    expect(readPointer(root, "debian:trixie@amd64")).toBe("10.0.13");
    expect(readPointer(root, "debian:bookworm@amd64")).toBeUndefined();
    expect(readdirSync(root)).toEqual(["suites.json"]);
  });

  it("a cache root that cannot be written is QUS_QEMU_CACHE_UNWRITABLE, naming the folder", async () => {
    writeFileSync(join(work, "file"), "");
    const error = await caught(() => ensureCacheRoot(join(work, "file", "qemu")));
    expect(error.code).toBe("QUS_QEMU_CACHE_UNWRITABLE");
    expect(error.message).toContain(join(work, "file", "qemu"));
  });
});
