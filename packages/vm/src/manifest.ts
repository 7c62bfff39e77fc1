import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { QusError } from "@qus/core";
import { type VmArch, vmArch } from "./arches.js";

/** The file names of a VM folder. */
export const VM_FILES = {
  manifest: "manifest.json",
  disk: "disk.qcow2",
  kernel: "vmlinuz",
  initrd: "initrd.img",
  /** Where a running VM's state lives (console log, pid file, control socket). */
  run: "run",
} as const;

/** Inside every disk qus writes: its kernel, initrd and manifest, so a lone disk boots with `qus vm run`. */
export const DISK_BOOT_DIR = "boot/qus";

/** What a VM holds: written by `qus vm create` and `qus vm from-image`, read by the other commands. */
export interface VmManifest {
  readonly schemaVersion: 1;
  readonly name: string;
  /** Debian's architecture name. */
  readonly arch: string;
  readonly platform: string;
  readonly suite: string;
  readonly docker: boolean;
  readonly diskSize: string;
  readonly kernel: { readonly package: string; readonly version: string };
  /** What qus's initrd loads, and the version of how `qus vm run` talks to it. */
  readonly initrd: { readonly modules: readonly string[]; readonly protocol: number };
  readonly qemu: { readonly system: string; readonly package: string; readonly machine: string; readonly cpu: string };
  /** Debian packages of the root, `name version`; empty for a disk made from a container image. */
  readonly packages: readonly string[];
  /** Where the root came from: `mmdebstrap` or the image reference. */
  readonly source: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** The manifest of the VM in `dir`, and its architecture. */
export function readVm(dir: string): { manifest: VmManifest; arch: VmArch } {
  const file = join(dir, VM_FILES.manifest);
  if (!existsSync(file)) {
    throw new QusError("QUS_VM_NOT_FOUND", `${dir} is not a qus VM (it has no ${VM_FILES.manifest})`, {
      hint: "create one with qus vm create --arch arm64 --docker --out DIR",
    });
  }
  let manifest: VmManifest;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8")) as VmManifest;
  } catch (cause) {
    throw new QusError("QUS_VM_NOT_FOUND", `${file} is not valid JSON`, { cause, hint: "create the VM again" });
  }
  if (manifest.schemaVersion !== 1 || typeof manifest.arch !== "string" || typeof manifest.name !== "string") {
    throw new QusError("QUS_VM_NOT_FOUND", `${file} is not a manifest this qus reads`, { hint: "create the VM again" });
  }
  // The name becomes a file name in the registry and a docker context: never a path.
  vmName(manifest.name);
  return { manifest, arch: vmArch(manifest.arch, `${file}'s arch`) };
}

/** What a VM name may be: it becomes a host name, a docker context name and a registry file name. */
export const VM_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A VM name, or QUS_USAGE. */
export function vmName(name: string): string {
  if (VM_NAME.test(name)) return name;
  throw new QusError("QUS_USAGE", `--name ${JSON.stringify(name)} is not a VM name`, {
    hint: "use lower-case letters, digits and dashes, e.g. --name qus-arm64",
  });
}
