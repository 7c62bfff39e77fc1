import { QusError } from "./errors.js";

/**
 * The one table of QEMU linux-user targets qus knows. Nothing else in qus hard-codes an architecture.
 *
 * Every target of QEMU 10's scripts/qemu-binfmt-conf.sh, with its magic and mask strings, as Debian's
 * qemu-user-static installs them in /usr/lib/binfmt.d; the tests check them against Debian's copies and real Debian
 * binaries. One deliberate difference: QEMU's big-endian microblaze magic writes e_type little-endian, so it can
 * never match a program; the table uses the big-endian e_type, as Debian does.
 */

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

const ELF64_LE = "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00";
const ELF64_BE = "\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00";
const ELF32_LE = "\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00";
const ELF32_BE = "\\x7fELF\\x01\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00";
// Common masks: ignore the ABI version byte and the low bit of e_type (ET_EXEC or ET_DYN).
const MASK_LE = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";
const MASK_BE = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff";
// x86 masks also ignore the low bit of EI_DATA and EI_VERSION (bytes 5 and 6), as QEMU's script does.
const MASK_X86 = "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";
const MASK_MIPS64_LE =
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";
const MASK_MIPS64_BE =
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff";
// m68k: QEMU's mask also ignores the low bit of EI_VERSION (byte 6).
const MASK_M68K =
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff";
const ZERO16 = "\\x00".repeat(16);
// 32-bit MIPS, 40 bytes: e_version must be 1 and EF_MIPS_ABI2 (0x20 in e_flags) tells o32 (clear) from n32 (set).
const MIPS32_MASK_LE = `${MASK_MIPS64_LE}\\xff\\xff\\xff\\xff${"\\x00".repeat(12)}\\x20\\x00\\x00\\x00`;
const MIPS32_MASK_BE = `${MASK_MIPS64_BE}\\xff\\xff\\xff\\xff${"\\x00".repeat(12)}\\x00\\x00\\x00\\x20`;

/** Every target qus can register, in the order `all` lists them. */
export const TARGETS: readonly Target[] = [
  {
    cpu: "aarch64",
    platforms: ["linux/arm64", "linux/arm64/v8"],
    aliases: ["arm64", "aarch64", "arm64/v8"],
    magic: `${ELF64_LE}\\xb7\\x00`,
    mask: MASK_LE,
    debianArch: "arm64",
    nodeArch: "arm64",
    machines: ["aarch64", "arm64"],
  },
  {
    cpu: "arm",
    platforms: ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "linux/arm"],
    aliases: ["arm", "armhf", "armel", "arm/v7", "arm/v6", "arm/v5", "armv7", "armv7l", "armv6", "armv6l", "armv5"],
    magic: `${ELF32_LE}\\x28\\x00`,
    mask: MASK_LE,
    debianArch: "armhf",
    nodeArch: "arm",
    machines: ["armv7l", "armv6l", "armv8l"],
    compatOf: [{ host: "aarch64", usually: false }],
  },
  {
    cpu: "armeb",
    platforms: ["linux/armeb"],
    aliases: ["armeb", "armbe"],
    magic: `${ELF32_BE}\\x28`,
    mask: MASK_BE,
    compatOf: [{ host: "aarch64", usually: false }],
  },
  {
    cpu: "i386",
    platforms: ["linux/386"],
    aliases: ["386", "i386", "i686", "x86"],
    magic: `${ELF32_LE}\\x03\\x00`,
    mask: MASK_X86,
    debianArch: "i386",
    nodeArch: "ia32",
    machines: ["i686", "i586", "i486", "i386"],
    compatOf: [{ host: "x86_64", usually: true }],
  },
  {
    cpu: "x86_64",
    platforms: ["linux/amd64", "linux/amd64/v2", "linux/amd64/v3", "linux/amd64/v4"],
    aliases: ["amd64", "x86_64", "x86-64", "x64", "amd64/v2", "amd64/v3", "amd64/v4"],
    magic: `${ELF64_LE}\\x3e\\x00`,
    mask: MASK_X86,
    debianArch: "amd64",
    nodeArch: "x64",
    machines: ["x86_64", "amd64"],
  },
  {
    cpu: "ppc64le",
    platforms: ["linux/ppc64le"],
    aliases: ["ppc64le", "ppc64el", "powerpc64le"],
    magic: `${ELF64_LE}\\x15\\x00`,
    mask: "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\x00",
    debianArch: "ppc64el",
    nodeArch: "ppc64",
    machines: ["ppc64le"],
  },
  {
    cpu: "ppc64",
    platforms: ["linux/ppc64"],
    aliases: ["ppc64", "powerpc64"],
    magic: `${ELF64_BE}\\x15`,
    mask: MASK_BE,
    debianArch: "ppc64",
    debianPorts: true,
    machines: ["ppc64"],
    compatOf: [{ host: "ppc64le", usually: false }],
  },
  {
    cpu: "s390x",
    platforms: ["linux/s390x"],
    aliases: ["s390x"],
    magic: `${ELF64_BE}\\x16`,
    mask: MASK_BE,
    debianArch: "s390x",
    nodeArch: "s390x",
    machines: ["s390x"],
  },
  {
    cpu: "riscv64",
    platforms: ["linux/riscv64"],
    aliases: ["riscv64", "rv64"],
    magic: `${ELF64_LE}\\xf3\\x00`,
    mask: MASK_LE,
    debianArch: "riscv64",
    nodeArch: "riscv64",
    machines: ["riscv64"],
  },
  {
    cpu: "mips64el",
    platforms: ["linux/mips64le"],
    aliases: ["mips64le", "mips64el"],
    magic: `${ELF64_LE}\\x08\\x00`,
    mask: MASK_MIPS64_LE,
    debianArch: "mips64el",
    machines: ["mips64el"],
  },
  {
    cpu: "mips64",
    platforms: ["linux/mips64"],
    aliases: ["mips64"],
    magic: `${ELF64_BE}\\x08`,
    mask: MASK_MIPS64_BE,
    machines: ["mips64"],
  },
  {
    cpu: "mipsel",
    platforms: ["linux/mipsle"],
    aliases: ["mipsle", "mipsel"],
    // 40 bytes: the flags word tells o32 from n32 (EF_MIPS_ABI2 must be clear).
    magic: `${ELF32_LE}\\x08\\x00\\x01\\x00\\x00\\x00${ZERO16}`,
    mask: MIPS32_MASK_LE,
    debianArch: "mipsel",
    nodeArch: "mipsel",
    compatOf: [{ host: "mips64el", usually: false }],
  },
  {
    cpu: "mips",
    platforms: ["linux/mips"],
    aliases: ["mips"],
    magic: `${ELF32_BE}\\x08\\x00\\x00\\x00\\x01${ZERO16}`,
    mask: MIPS32_MASK_BE,
    nodeArch: "mips",
    compatOf: [{ host: "mips64", usually: false }],
  },
  {
    cpu: "loongarch64",
    platforms: ["linux/loong64"],
    aliases: ["loong64", "loongarch64"],
    magic: `${ELF64_LE}\\x02\\x01`,
    mask: "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfc\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff",
    debianArch: "loong64",
    nodeArch: "loong64",
    machines: ["loongarch64"],
  },
  {
    cpu: "sparc64",
    platforms: ["linux/sparc64"],
    aliases: ["sparc64"],
    magic: `${ELF64_BE}\\x2b`,
    mask: MASK_BE,
    debianArch: "sparc64",
    debianPorts: true,
    machines: ["sparc64"],
  },
  {
    cpu: "i486",
    platforms: ["linux/i486"],
    aliases: ["i486"],
    // EM_486: an old e_machine some 32-bit x86 toolchains wrote; QEMU's script hands it to qemu-i386.
    magic: `${ELF32_LE}\\x06\\x00`,
    mask: MASK_X86,
    interpreterCpu: "i386",
    compatOf: [
      { host: "x86_64", usually: true },
      { host: "i386", usually: true },
    ],
  },
  {
    cpu: "alpha",
    platforms: ["linux/alpha"],
    aliases: ["alpha"],
    magic: `${ELF64_LE}\\x26\\x90`,
    mask: MASK_X86,
    debianArch: "alpha",
    debianPorts: true,
    machines: ["alpha"],
  },
  {
    cpu: "sparc",
    platforms: ["linux/sparc"],
    aliases: ["sparc", "sparc32"],
    magic: `${ELF32_BE}\\x02`,
    mask: MASK_BE,
    machines: ["sparc"],
    compatOf: [{ host: "sparc64", usually: false }],
  },
  {
    cpu: "sparc32plus",
    platforms: ["linux/sparc32plus"],
    aliases: ["sparc32plus", "sparcv8plus"],
    // EM_SPARC32PLUS: 32-bit programs using V9 instructions.
    magic: `${ELF32_BE}\\x12`,
    mask: MASK_BE,
    compatOf: [{ host: "sparc64", usually: false }],
  },
  {
    cpu: "ppc",
    platforms: ["linux/ppc"],
    aliases: ["ppc", "powerpc", "ppc32"],
    magic: `${ELF32_BE}\\x14`,
    mask: MASK_BE,
    debianArch: "powerpc",
    debianPorts: true,
    machines: ["ppc"],
    compatOf: [{ host: "ppc64", usually: false }],
  },
  {
    cpu: "m68k",
    platforms: ["linux/m68k"],
    aliases: ["m68k"],
    magic: `${ELF32_BE}\\x04`,
    mask: MASK_M68K,
    debianArch: "m68k",
    debianPorts: true,
    machines: ["m68k"],
  },
  {
    cpu: "mipsn32",
    platforms: ["linux/mipsn32"],
    aliases: ["mipsn32"],
    // The mips magic with EF_MIPS_ABI2 set: 32-bit pointers on a 64-bit MIPS (n32 ABI).
    magic: `${ELF32_BE}\\x08\\x00\\x00\\x00\\x01${"\\x00".repeat(15)}\\x20`,
    mask: MIPS32_MASK_BE,
    compatOf: [{ host: "mips64", usually: false }],
  },
  {
    cpu: "mipsn32el",
    platforms: ["linux/mipsn32el"],
    aliases: ["mipsn32el", "mipsn32le"],
    magic: `${ELF32_LE}\\x08\\x00\\x01\\x00\\x00\\x00${"\\x00".repeat(12)}\\x20\\x00\\x00\\x00`,
    mask: MIPS32_MASK_LE,
    compatOf: [{ host: "mips64el", usually: false }],
  },
  {
    cpu: "sh4",
    platforms: ["linux/sh4"],
    aliases: ["sh4", "sh4le"],
    magic: `${ELF32_LE}\\x2a\\x00`,
    mask: MASK_LE,
    debianArch: "sh4",
    debianPorts: true,
    machines: ["sh4"],
  },
  {
    cpu: "sh4eb",
    platforms: ["linux/sh4eb"],
    aliases: ["sh4eb", "sh4be"],
    magic: `${ELF32_BE}\\x2a`,
    mask: MASK_BE,
    machines: ["sh4eb"],
  },
  {
    cpu: "aarch64_be",
    platforms: ["linux/aarch64_be"],
    aliases: ["aarch64_be", "arm64be", "arm64_be"],
    magic: `${ELF64_BE}\\xb7`,
    mask: MASK_BE,
    machines: ["aarch64_be"],
  },
  {
    cpu: "hppa",
    platforms: ["linux/hppa"],
    aliases: ["hppa", "parisc"],
    magic: `${ELF32_BE}\\x0f`,
    mask: MASK_BE,
    debianArch: "hppa",
    debianPorts: true,
    machines: ["parisc", "parisc64"],
  },
  {
    cpu: "riscv32",
    platforms: ["linux/riscv32"],
    aliases: ["riscv32", "rv32"],
    magic: `${ELF32_LE}\\xf3\\x00`,
    mask: MASK_LE,
    machines: ["riscv32"],
  },
  {
    cpu: "xtensa",
    platforms: ["linux/xtensa"],
    aliases: ["xtensa", "xtensael"],
    magic: `${ELF32_LE}\\x5e\\x00`,
    mask: MASK_LE,
    machines: ["xtensa"],
  },
  {
    cpu: "xtensaeb",
    platforms: ["linux/xtensaeb"],
    aliases: ["xtensaeb"],
    magic: `${ELF32_BE}\\x5e`,
    mask: MASK_BE,
  },
  {
    cpu: "microblaze",
    platforms: ["linux/microblaze"],
    aliases: ["microblaze", "microblazebe"],
    // e_machine 0xbaab (EM_MICROBLAZE_OLD), as QEMU's script; e_type big-endian (QEMU 10 writes \\x02\\x00 here).
    magic: "\\x7fELF\\x01\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\xba\\xab",
    mask: MASK_BE,
    machines: ["microblaze"],
  },
  {
    cpu: "microblazeel",
    platforms: ["linux/microblazeel"],
    aliases: ["microblazeel", "microblazele"],
    magic: `${ELF32_LE}\\xab\\xba`,
    mask: MASK_LE,
    machines: ["microblazeel"],
  },
  {
    cpu: "or1k",
    platforms: ["linux/or1k"],
    aliases: ["or1k", "openrisc"],
    magic: `${ELF32_BE}\\x5c`,
    mask: MASK_BE,
    machines: ["openrisc"],
  },
  {
    cpu: "hexagon",
    platforms: ["linux/hexagon"],
    aliases: ["hexagon", "qdsp6"],
    magic: `${ELF32_LE}\\xa4\\x00`,
    mask: MASK_LE,
    machines: ["hexagon"],
  },
];

const BY_CPU = new Map<string, Target>(TARGETS.map((t) => [t.cpu, t]));

/** The target for a QEMU cpu name, or undefined. */
export function targetByCpu(cpu: string): Target | undefined {
  return BY_CPU.get(cpu);
}

/** The target of a QEMU cpu name; throws QUS_UNKNOWN_PLATFORM (naming it) when qus knows none. */
export function requireTarget(cpu: string): Target {
  const target = BY_CPU.get(cpu);
  if (!target) {
    throw new QusError("QUS_UNKNOWN_PLATFORM", `no QEMU target named ${JSON.stringify(cpu)}`, {
      hint: `use one of: ${TARGETS.map((candidate) => candidate.cpu).join(", ")}`,
    });
  }
  return target;
}

/** The binfmt_misc entry name qus uses for a target: `qemu-<cpu>`, as QEMU's script and most installers do. */
export function entryName(target: Target): string {
  return `qemu-${target.cpu}`;
}

/**
 * The base name of the QEMU emulator that runs a target's programs: `qemu-<cpu>`, or the cpu QEMU's script hands
 * it to (`qemu-i386` for i486). Installed as `<base>-static` (Debian) or `<base>`.
 */
export function interpreterBase(target: Target): string {
  return `qemu-${target.interpreterCpu ?? target.cpu}`;
}

/** Canonical OCI platform of a target (`linux/arm64`). */
export function canonicalPlatform(target: Target): string {
  return target.platforms[0] ?? `linux/${target.cpu}`;
}
