import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { QusError } from "@qus/core";
import { type CpioMember, cpioOf } from "./cpio.js";
import { INIT_SCRIPT } from "./init-script.js";

/**
 * The kernel drivers qus's initrd loads (those a kernel has built in are skipped): the disk, the network, the
 * console port `qus vm stop` speaks through, and ext4 with the checksum it asks the crypto API for (which a
 * modprobe-less initrd cannot load on demand).
 */
export const INITRD_MODULES = [
  "virtio_pci",
  "virtio_blk",
  "virtio_net",
  "virtio_console",
  "crc32c_generic",
  "ext4",
] as const;

/** Where the initrd's parts come from: an unpacked kernel package and a static busybox of the same architecture. */
export interface InitrdSource {
  /** A folder holding `lib/modules/VERSION` with its `modules.dep` (run `depmod -b` first). */
  readonly root: string;
  readonly version: string;
  readonly busybox: string;
  readonly modules?: readonly string[];
}

/** The module files to load, dependencies first, relative to `lib/modules/VERSION`; built-in drivers are left out. */
export function moduleLoadOrder(modulesDep: string, modulesBuiltin: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  for (const line of modulesDep.split("\n")) {
    const [path, rest] = line.split(":");
    if (path && rest !== undefined) deps.set(path.trim(), rest.trim().split(/\s+/).filter(Boolean));
  }
  const builtin = new Set(modulesBuiltin.split("\n").map((path) => baseName(path.trim())));
  const order: string[] = [];
  const visit = (path: string) => {
    if (order.includes(path)) return;
    for (const dep of deps.get(path) ?? []) visit(dep);
    order.push(path);
  };
  for (const name of wanted) {
    const path = [...deps.keys()].find((candidate) => baseName(candidate) === name);
    if (path) visit(path);
    else if (!builtin.has(name)) {
      throw new QusError("QUS_VM_BUILD_FAILED", `the kernel has no driver ${name}, neither as a module nor built in`, {
        hint: "use a Debian kernel of the architecture's virt machine (the cloud or generic flavour)",
      });
    }
  }
  const compressed = order.find((path) => !path.endsWith(".ko"));
  if (compressed) {
    throw new QusError(
      "QUS_VM_BUILD_FAILED",
      `the kernel's module ${compressed} is compressed; busybox cannot load it`,
      {
        hint: "use a suite whose kernel ships plain .ko modules (bookworm)",
      },
    );
  }
  return order;
}

const baseName = (path: string) => (path.split("/").pop() ?? "").replace(/\.ko(\.[a-z]+)?$/, "");

/** A gzip'd initramfs: busybox, the drivers {@link moduleLoadOrder} picks, and {@link INIT_SCRIPT} as /init. */
export function buildInitrd(source: InitrdSource): Buffer {
  const modulesDir = join(source.root, "lib/modules", source.version);
  const depFile = join(modulesDir, "modules.dep");
  if (!existsSync(depFile)) {
    throw new QusError("QUS_VM_BUILD_FAILED", `${depFile} is missing`, { hint: "run depmod -b on the kernel's root" });
  }
  const builtinFile = join(modulesDir, "modules.builtin");
  const order = moduleLoadOrder(
    readFileSync(depFile, "utf8"),
    existsSync(builtinFile) ? readFileSync(builtinFile, "utf8") : "",
    source.modules ?? INITRD_MODULES,
  );
  const members: CpioMember[] = [
    ...["bin", "dev", "etc", "lib", "lib/modules", "newroot", "proc", "sys"].map(
      (path): CpioMember => ({ path, type: "dir", mode: 0o755 }),
    ),
    { path: "bin/busybox", type: "file", mode: 0o755, data: readFileSync(source.busybox) },
    { path: "bin/sh", type: "symlink", target: "busybox" },
    { path: "init", type: "file", mode: 0o755, data: Buffer.from(INIT_SCRIPT) },
    { path: "etc/qus-modules", type: "file", mode: 0o644, data: Buffer.from(order.map(flatName).join("\n")) },
    ...order.map(
      (path): CpioMember => ({
        path: `lib/modules/${flatName(path)}`,
        type: "file",
        mode: 0o644,
        data: readFileSync(join(modulesDir, path)),
      }),
    ),
  ];
  return gzipSync(cpioOf(members));
}

const flatName = (path: string) => path.split("/").pop() ?? path;
