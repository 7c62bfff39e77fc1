import { type QemuCpu, QusError, resolvePlatforms, type Target } from "@qus/core";
import { canonicalPlatform, requireTarget } from "@qus/core/toolkit";

/**
 * How one guest architecture boots under `qemu-system-*`: the core target it is (its cpu, platform, Debian and
 * machine names come from core's table), and what only a VM needs: the machine, its kernel and its console.
 */
export interface VmArch {
  /** Core's target of the guest's programs. */
  readonly target: Target;
  /** Debian's architecture name (core's `debianArch`), also what `--arch` takes. */
  readonly debian: string;
  /** The OCI platform of the guest's programs (core's canonical one): what qus ensures while the root is built. */
  readonly platform: string;
  /** Other names `--arch` accepts: core's names for the target (its aliases and OCI platforms). */
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
  /** The `uname -m` of the guest (core's first machine name), to tell a guest's own kernel from the host's. */
  readonly unameMachine: string;
  /** The kernel's COMMAND_LINE_SIZE: a longer -append is cut without a word. */
  readonly maxCommandLine: number;
}

/** What only a VM knows of an architecture; the rest is core's target. */
type VmSpecific = Omit<VmArch, "target" | "debian" | "platform" | "aliases" | "unameMachine">;

/**
 * The architectures `qus vm` builds, keyed by core's QEMU cpu. Each runs QEMU's `virt` machine with virtio disks and
 * network over PCI, and a Debian kernel whose virtio drivers are modules (loaded by qus's own initrd).
 */
const VM_SPECIFIC: Partial<Record<QemuCpu, VmSpecific>> = {
  aarch64: {
    qemuSystem: "qemu-system-aarch64",
    qemuPackage: "qemu-system-arm",
    machine: "virt",
    cpu: "cortex-a57",
    console: "ttyAMA0",
    kernelPackage: "linux-image-cloud-arm64",
    maxCommandLine: 2048,
  },
  arm: {
    qemuSystem: "qemu-system-arm",
    qemuPackage: "qemu-system-arm",
    machine: "virt",
    cpu: "cortex-a15",
    console: "ttyAMA0",
    kernelPackage: "linux-image-armmp-lpae",
    maxCommandLine: 1024,
  },
};

function vmArchOf(cpu: QemuCpu, specific: VmSpecific): VmArch {
  const target = requireTarget(cpu);
  const { debianArch, machines } = target;
  // Only targets Debian builds and whose machine name core knows can boot a Debian guest.
  if (!debianArch || !machines?.[0]) throw new Error(`core's target ${cpu} has no Debian arch or machine name`);
  return {
    target,
    debian: debianArch,
    platform: canonicalPlatform(target),
    aliases: [...target.aliases, ...target.platforms],
    unameMachine: machines[0],
    ...specific,
  };
}

/** The architectures `qus vm` builds, in core's table's order. */
export const VM_ARCHES: readonly VmArch[] = Object.entries(VM_SPECIFIC).map(([cpu, specific]) =>
  vmArchOf(cpu as QemuCpu, specific as VmSpecific),
);

/** The VM architecture of a core target, or undefined when qus vm builds none for it. */
export function vmArchOfTarget(target: Target): VmArch | undefined {
  return VM_ARCHES.find((arch) => arch.target.cpu === target.cpu);
}

/**
 * The architecture `name` names: any one name core's platforms take for its target (Debian's name, an OCI platform,
 * `uname -m`, QEMU's cpu); `what` says where the name came from in the error (`--arch` by default).
 */
export function vmArch(name: string, what = "--arch"): VmArch {
  const found = targetNamed(name.trim().toLowerCase());
  const arch = found && vmArchOfTarget(found);
  if (arch) return arch;
  throw new QusError("QUS_USAGE", `${what} ${JSON.stringify(name)} is not an architecture qus vm builds`, {
    hint: `use one of: ${VM_ARCHES.map((each) => each.debian).join(", ")}`,
  });
}

/** The one target a single name resolves to in core, or undefined (no name, several, a list, or unknown). */
function targetNamed(name: string): Target | undefined {
  if (name === "" || /[\s,]/.test(name)) return undefined;
  try {
    const targets = resolvePlatforms(name);
    return targets.length === 1 ? targets[0] : undefined;
  } catch {
    return undefined;
  }
}
