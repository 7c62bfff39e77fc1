import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { QusError } from "@qus/core";

/** The Debian package of each host program `qus vm` runs. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  mmdebstrap: "mmdebstrap",
  "arch-test": "arch-test",
  "mkfs.ext4": "e2fsprogs",
  debugfs: "e2fsprogs",
  depmod: "kmod",
  "qemu-img": "qemu-utils",
  "qemu-system-aarch64": "qemu-system-arm",
  "qemu-system-arm": "qemu-system-arm",
  tar: "tar",
  mount: "mount",
  umount: "mount",
  docker: "docker.io",
};

/** The full path of `program` on PATH (and the sbin folders, which a non-login root shell may lack), or undefined. */
export function findProgram(program: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of [...path.split(delimiter), "/usr/sbin", "/sbin"]) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** The full path of `program`, or an error naming the Debian package that has it. */
export function requireProgram(program: string, path?: string): string {
  const found = findProgram(program, path);
  if (found) return found;
  const pkg = TOOL_PACKAGES[program] ?? program;
  throw new QusError("QUS_VM_TOOL_MISSING", `${program} is not installed`, {
    hint: `install Debian's ${pkg}: apt-get install ${pkg}`,
  });
}
