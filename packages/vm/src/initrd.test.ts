import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { INIT_SCRIPT } from "./init-script.js";
import { buildInitrd, INITRD_MODULES, moduleLoadOrder } from "./initrd.js";
import { qusErrorOf } from "./test-support.js";

// A modules.dep as `depmod` writes it for a Debian arm64 cloud kernel (excerpt): every module has a line of its
// own, with its dependencies (possibly none) after the colon.
const MODULES_DEP = `kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/fs/mbcache.ko:
kernel/fs/jbd2/jbd2.ko:
kernel/lib/crc16.ko:
kernel/crypto/crc32c_generic.ko:
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/net/core/failover.ko:
kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/scsi/sd_mod.ko: kernel/drivers/scsi/scsi_mod.ko
kernel/drivers/scsi/scsi_mod.ko:
`;

const MODULES_BUILTIN = `kernel/lib/crc32c.ko
kernel/drivers/tty/serial/amba-pl011.ko
kernel/drivers/char/hw_random/rng-core.ko
`;

function depsOf(modulesDep: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const line of modulesDep.split("\n")) {
    const match = /^([^:]+):(.*)$/.exec(line);
    if (match?.[1]) deps.set(match[1], (match[2] ?? "").split(/\s+/).filter(Boolean));
  }
  return deps;
}

/** Every module comes after all of its dependencies, and only once. */
function expectDependenciesFirst(order: readonly string[], modulesDep: string): void {
  expect(new Set(order).size).toBe(order.length);
  const deps = depsOf(modulesDep);
  order.forEach((module, index) => {
    for (const dep of deps.get(module) ?? []) {
      const at = order.indexOf(dep);
      expect(at, `${dep} (a dependency of ${module})`).toBeGreaterThanOrEqual(0);
      expect(at, `${dep} before ${module}`).toBeLessThan(index);
    }
  });
}

describe("moduleLoadOrder", () => {
  it("loads qus's drivers with their dependencies first, each once", () => {
    const order = moduleLoadOrder(MODULES_DEP, MODULES_BUILTIN, INITRD_MODULES);
    expectDependenciesFirst(order, MODULES_DEP);
    expect(order).toEqual([
      "kernel/drivers/virtio/virtio_pci_legacy_dev.ko",
      "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
      "kernel/drivers/virtio/virtio.ko",
      "kernel/drivers/virtio/virtio_ring.ko",
      "kernel/drivers/virtio/virtio_pci.ko",
      "kernel/drivers/block/virtio_blk.ko",
      "kernel/net/core/failover.ko",
      "kernel/drivers/net/net_failover.ko",
      "kernel/drivers/net/virtio_net.ko",
      "kernel/drivers/char/virtio_console.ko",
      "kernel/crypto/crc32c_generic.ko",
      "kernel/lib/crc16.ko",
      "kernel/fs/mbcache.ko",
      "kernel/fs/jbd2/jbd2.ko",
      "kernel/fs/ext4/ext4.ko",
    ]);
    // Modules nobody asked for stay out.
    expect(order.some((path) => path.includes("scsi"))).toBe(false);
  });

  it("orders by the dependency graph, not by the order a line lists its dependencies in", () => {
    const dep = "kernel/a.ko: kernel/b.ko kernel/c.ko\nkernel/b.ko: kernel/c.ko\nkernel/c.ko:\n";
    expect(moduleLoadOrder(dep, "", ["a"])).toEqual(["kernel/c.ko", "kernel/b.ko", "kernel/a.ko"]);
  });

  it("a module asked for twice, or asked for after it came in as a dependency, is listed once", () => {
    const order = moduleLoadOrder(MODULES_DEP, "", ["virtio_blk", "virtio", "virtio_blk", "virtio_ring"]);
    expect(order).toEqual([
      "kernel/drivers/virtio/virtio.ko",
      "kernel/drivers/virtio/virtio_ring.ko",
      "kernel/drivers/block/virtio_blk.ko",
    ]);
  });

  it("skips drivers the kernel has built in", () => {
    const dep = MODULES_DEP.split("\n")
      .filter((line) => !line.startsWith("kernel/crypto/crc32c_generic.ko") && !line.includes("virtio_console.ko:"))
      .join("\n");
    const builtin = `${MODULES_BUILTIN}kernel/crypto/crc32c_generic.ko\nkernel/drivers/char/virtio_console.ko\n`;
    const order = moduleLoadOrder(dep, builtin, INITRD_MODULES);
    expectDependenciesFirst(order, dep);
    expect(order.some((path) => path.includes("crc32c_generic") || path.includes("virtio_console"))).toBe(false);
    expect(order).toContain("kernel/fs/ext4/ext4.ko");
  });

  it("an empty list of wanted modules loads nothing", () => {
    expect(moduleLoadOrder(MODULES_DEP, MODULES_BUILTIN, [])).toEqual([]);
  });

  it("tolerates blank lines and no final newline", () => {
    expect(moduleLoadOrder("\n\nkernel/x.ko: kernel/y.ko\n\nkernel/y.ko:", "", ["x"])).toEqual([
      "kernel/y.ko",
      "kernel/x.ko",
    ]);
  });

  it("a driver neither a module nor built in: QUS_VM_BUILD_FAILED naming it", () => {
    const error = qusErrorOf(() => moduleLoadOrder(MODULES_DEP, MODULES_BUILTIN, ["virtio_pci", "virtio_gpu_nope"]));
    expect(error.code).toBe("QUS_VM_BUILD_FAILED");
    expect(error.message).toContain("virtio_gpu_nope");
    expect(error.hint).toBeTruthy();
  });

  it("does not take a module of a longer name for the one asked for", () => {
    // virtio_pci_modern_dev and virtio_pci_legacy_dev exist, virtio_pci_modern does not.
    expect(qusErrorOf(() => moduleLoadOrder(MODULES_DEP, "", ["virtio_pci_modern"])).code).toBe("QUS_VM_BUILD_FAILED");
  });

  it("a compressed module (.ko.xz) busybox cannot load: QUS_VM_BUILD_FAILED naming it", () => {
    const xz = MODULES_DEP.replaceAll(".ko", ".ko.xz");
    const error = qusErrorOf(() => moduleLoadOrder(xz, "", INITRD_MODULES));
    expect(error.code).toBe("QUS_VM_BUILD_FAILED");
    expect(error.message).toMatch(/\.ko\.xz/);
    expect(error.message).toContain("compressed");
  });

  it("a compressed dependency of a plain module is refused too (.ko.zst)", () => {
    const dep = "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko.zst\nkernel/lib/crc16.ko.zst:\n";
    const error = qusErrorOf(() => moduleLoadOrder(dep, "", ["ext4"]));
    expect(error.code).toBe("QUS_VM_BUILD_FAILED");
    expect(error.message).toContain("kernel/lib/crc16.ko.zst");
  });
});

// buildInitrd on a fake unpacked kernel package: fake .ko files and a fake busybox, nothing executed.

interface Member {
  readonly name: string;
  readonly mode: number;
  readonly data: Buffer;
}

const align4 = (n: number) => (n + 3) & ~3;

function readCpio(archive: Buffer): Member[] {
  const members: Member[] = [];
  let offset = 0;
  for (;;) {
    if (archive.toString("ascii", offset, offset + 6) !== "070701") throw new Error(`bad magic at ${offset}`);
    const field = (index: number) =>
      Number.parseInt(archive.toString("ascii", offset + 6 + index * 8, offset + 14 + index * 8), 16);
    const mode = field(1);
    const size = field(6);
    const namesize = field(11);
    const name = archive.toString("utf8", offset + 110, offset + 110 + namesize - 1);
    const dataStart = align4(offset + 110 + namesize);
    const data = Buffer.from(archive.subarray(dataStart, dataStart + size));
    offset = align4(dataStart + size);
    if (name === "TRAILER!!!") break;
    members.push({ name, mode, data });
  }
  if (offset !== archive.length) throw new Error("bytes after the trailer");
  return members;
}

const scratch = mkdtempSync(join(tmpdir(), "qus-vm-initrd-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const VERSION = "6.1.0-99-arm64";

/** A kernel root with modules.dep (and modules.builtin if given), a fake .ko per module, and a fake busybox. */
function fakeKernel(name: string, modulesDep: string | undefined, modulesBuiltin?: string) {
  const root = join(scratch, name);
  const modulesDir = join(root, "lib/modules", VERSION);
  mkdirSync(modulesDir, { recursive: true });
  if (modulesDep !== undefined) {
    writeFileSync(join(modulesDir, "modules.dep"), modulesDep);
    for (const path of depsOf(modulesDep).keys()) {
      mkdirSync(dirname(join(modulesDir, path)), { recursive: true });
      writeFileSync(join(modulesDir, path), `fake module ${path}\n`);
    }
  }
  if (modulesBuiltin !== undefined) writeFileSync(join(modulesDir, "modules.builtin"), modulesBuiltin);
  const busybox = join(root, "busybox");
  writeFileSync(busybox, Buffer.from("\x7fELF fake static busybox\0\x01\x02", "latin1"));
  return { root, version: VERSION, busybox };
}

describe("buildInitrd", () => {
  it("is a gzip'd newc archive with busybox, /init, the module list and the modules", () => {
    const source = fakeKernel("default", MODULES_DEP, MODULES_BUILTIN);
    const members = readCpio(gunzipSync(buildInitrd(source)));
    const byName = new Map(members.map((member) => [member.name, member]));
    expect(new Set(members.map((member) => member.name)).size).toBe(members.length);

    for (const dir of ["bin", "dev", "etc", "lib", "lib/modules", "newroot", "proc", "sys"]) {
      expect(byName.get(dir)?.mode, dir).toBe(0o040755);
    }
    const init = byName.get("init");
    expect(init?.mode).toBe(0o100755);
    expect(init?.data.toString("utf8")).toBe(INIT_SCRIPT);
    expect(byName.get("bin/busybox")?.mode).toBe(0o100755);
    expect(byName.get("bin/busybox")?.data.equals(Buffer.from("\x7fELF fake static busybox\0\x01\x02", "latin1"))).toBe(
      true,
    );
    expect(byName.get("bin/sh")).toMatchObject({ mode: 0o120777 });
    expect(byName.get("bin/sh")?.data.toString()).toBe("busybox");

    const order = moduleLoadOrder(MODULES_DEP, MODULES_BUILTIN, INITRD_MODULES);
    const listed = byName.get("etc/qus-modules")?.data.toString("utf8").split("\n").filter(Boolean);
    expect(listed).toEqual(order.map((path) => path.split("/").pop()));
    expect(listed?.slice(0, 5)).toEqual([
      "virtio_pci_legacy_dev.ko",
      "virtio_pci_modern_dev.ko",
      "virtio.ko",
      "virtio_ring.ko",
      "virtio_pci.ko",
    ]);
    expect(listed?.at(-1)).toBe("ext4.ko");
    for (const path of order) {
      const member = byName.get(`lib/modules/${path.split("/").pop()}`);
      expect(member?.mode, path).toBe(0o100644);
      expect(member?.data.toString(), path).toBe(`fake module ${path}\n`);
    }
    // Only the modules the list names are packed.
    const packed = members.filter((member) => /^lib\/modules\/.+\.ko$/.test(member.name));
    expect(packed.map((member) => member.name.slice("lib/modules/".length)).sort()).toEqual([...(listed ?? [])].sort());
  });

  it("every member's folder comes before it (the kernel's unpacker does not make parents)", () => {
    const members = readCpio(gunzipSync(buildInitrd(fakeKernel("parents", MODULES_DEP))));
    const seen = new Set<string>();
    for (const member of members) {
      const parent = member.name.includes("/") ? member.name.slice(0, member.name.lastIndexOf("/")) : undefined;
      if (parent) expect(seen.has(parent), `${parent} before ${member.name}`).toBe(true);
      if ((member.mode & 0o170000) === 0o040000) seen.add(member.name);
      expect(member.name.startsWith("/")).toBe(false);
    }
  });

  it("takes the modules asked for and leaves built-in ones out", () => {
    const dep = MODULES_DEP.split("\n")
      .filter((line) => !line.startsWith("kernel/drivers/block/virtio_blk.ko:"))
      .join("\n");
    const source = fakeKernel("some", dep, "kernel/drivers/block/virtio_blk.ko\n");
    const members = readCpio(gunzipSync(buildInitrd({ ...source, modules: ["virtio_blk", "ext4"] })));
    const list = members.find((member) => member.name === "etc/qus-modules")?.data.toString();
    expect(list).toBe(["crc16.ko", "mbcache.ko", "jbd2.ko", "ext4.ko"].join("\n"));
  });

  it("is the same bytes for the same inputs", () => {
    const source = fakeKernel("same", MODULES_DEP);
    expect(buildInitrd(source).equals(buildInitrd(source))).toBe(true);
  });

  it("without modules.dep: QUS_VM_BUILD_FAILED, hinting at depmod", () => {
    const error = qusErrorOf(() => buildInitrd(fakeKernel("no-dep", undefined)));
    expect(error.code).toBe("QUS_VM_BUILD_FAILED");
    expect(error.message).toContain("modules.dep");
    expect(error.hint).toContain("depmod");
  });

  it("with compressed modules: QUS_VM_BUILD_FAILED", () => {
    const source = fakeKernel("xz", MODULES_DEP.replaceAll(".ko", ".ko.xz"));
    expect(qusErrorOf(() => buildInitrd(source)).code).toBe("QUS_VM_BUILD_FAILED");
  });
});
