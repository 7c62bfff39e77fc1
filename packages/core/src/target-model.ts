/** A QEMU linux-user target: what the kernel must recognise and which platforms it serves. */
export interface Target {
  /** QEMU's cpu name: the `<cpu>` in `qemu-<cpu>-static`, and in the binfmt entry name `qemu-<cpu>`. */
  readonly cpu: QemuCpu;
  /** OCI platforms served, canonical first (`linux/arm64`). */
  readonly platforms: readonly string[];
  /** Other names users write for it (`aarch64`, `armhf`, `ppc64el`). */
  readonly aliases: readonly string[];
  /** binfmt_misc magic, `\xNN` escaped, matched at offset 0. */
  readonly magic: string;
  /** binfmt_misc mask, `\xNN` escaped, same length as the magic. */
  readonly mask: string;
  /** Debian's name for the architecture, where Debian ships one (used in hints and tests). */
  readonly debianArch?: string;
  /** Node's `process.arch` on a machine of this cpu. */
  readonly nodeArch?: string;
  /** Machine names `uname -m` (and engines' `Architecture`) give on a machine of this cpu. */
  readonly machines?: readonly string[];
  /**
   * Hosts whose compat mode runs this cpu's programs without emulation (i386 on x86_64). `usually`: their common
   * kernels do (x86_64 ships IA32 emulation), so only a run that fails with "exec format error" shows otherwise.
   */
  readonly compatOf?: readonly { readonly host: QemuCpu; readonly usually: boolean }[];
  /**
   * The cpu whose emulator runs this target's programs, when it is not the target's own: QEMU's script registers
   * i486 with qemu-i386 (there is no qemu-i486). Read it through {@link interpreterBase}.
   */
  readonly interpreterCpu?: QemuCpu;
  /** Debian builds {@link debianArch} in Debian Ports only (not in its main archive). */
  readonly debianPorts?: boolean;
}

/** QEMU cpu names of the targets in {@link TARGETS}. */
export type QemuCpu =
  | "aarch64"
  | "arm"
  | "armeb"
  | "i386"
  | "x86_64"
  | "ppc64"
  | "ppc64le"
  | "s390x"
  | "riscv64"
  | "mips"
  | "mipsel"
  | "mips64"
  | "mips64el"
  | "loongarch64"
  | "sparc64"
  | "i486"
  | "alpha"
  | "sparc"
  | "sparc32plus"
  | "ppc"
  | "m68k"
  | "mipsn32"
  | "mipsn32el"
  | "sh4"
  | "sh4eb"
  | "aarch64_be"
  | "hppa"
  | "riscv32"
  | "xtensa"
  | "xtensaeb"
  | "microblaze"
  | "microblazeel"
  | "or1k"
  | "hexagon";
