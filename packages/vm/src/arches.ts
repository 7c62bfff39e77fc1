import { QusError } from "@qus/core";

/** How one guest architecture boots under `qemu-system-*`: the machine, its kernel and its console. */
export interface VmArch {
  /** Debian's architecture name, also what `--arch` takes. */
  readonly debian: string;
  /** The OCI platform of the guest's programs: what qus ensures for user-mode emulation while the root is built. */
  readonly platform: string;
  /** Other names `--arch` accepts. */
  readonly aliases: readonly string[];
  /** The system emulator, and the Debian package that has it. */
  readonly qemuSystem: string;
  readonly qemuPackage: string;
  /** `-M` and `-cpu` under TCG. */
  readonly machine: string;
  readonly cpu: string;
  /** The kernel's name for the first serial port. */
  readonly console: string;
  /** Debian's kernel metapackage for this machine. */
  readonly kernelPackage: string;
  /** The `uname -m` of the guest, to tell a guest's own kernel from the host's in tests and reports. */
  readonly unameMachine: string;
  /** The kernel's COMMAND_LINE_SIZE: a longer -append is cut without a word. */
  readonly maxCommandLine: number;
}

/**
 * The architectures `qus vm` builds. Each runs QEMU's `virt` machine with virtio disks and network over PCI, and a
 * Debian kernel whose virtio drivers are modules (loaded by qus's own initrd).
 */
export const VM_ARCHES: readonly VmArch[] = [
  {
    debian: "arm64",
    platform: "linux/arm64",
    aliases: ["aarch64", "linux/arm64"],
    qemuSystem: "qemu-system-aarch64",
    qemuPackage: "qemu-system-arm",
    machine: "virt",
    cpu: "cortex-a57",
    console: "ttyAMA0",
    kernelPackage: "linux-image-cloud-arm64",
    unameMachine: "aarch64",
    maxCommandLine: 2048,
  },
  {
    debian: "armhf",
    platform: "linux/arm/v7",
    aliases: ["arm", "armv7", "armv7l", "arm/v7", "linux/arm/v7", "linux/arm"],
    qemuSystem: "qemu-system-arm",
    qemuPackage: "qemu-system-arm",
    machine: "virt",
    cpu: "cortex-a15",
    console: "ttyAMA0",
    kernelPackage: "linux-image-armmp-lpae",
    unameMachine: "armv7l",
    maxCommandLine: 1024,
  },
];

/**
 * The architecture `name` names (Debian's name, an OCI platform or `uname -m`); `what` says where the name came
 * from in the error (`--arch` by default).
 */
export function vmArch(name: string, what = "--arch"): VmArch {
  const wanted = name.trim().toLowerCase();
  const found = VM_ARCHES.find((arch) => arch.debian === wanted || arch.aliases.includes(wanted));
  if (found) return found;
  throw new QusError("QUS_USAGE", `${what} ${JSON.stringify(name)} is not an architecture qus vm builds`, {
    hint: `use one of: ${VM_ARCHES.map((arch) => arch.debian).join(", ")}`,
  });
}
