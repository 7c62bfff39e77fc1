/**
 * ELF knowledge, not QEMU's: the names of machine types and the ABI facts their e_flags carry. Which QEMU target
 * runs a file comes from the target table's magic and mask, never from here.
 */

const MACHINES: Record<number, string> = {
  2: "SPARC",
  3: "x86 (i386)",
  4: "m68k",
  8: "MIPS",
  15: "PA-RISC",
  18: "SPARC v8+",
  20: "PowerPC",
  21: "PowerPC64",
  22: "S/390",
  40: "ARM",
  41: "Alpha",
  42: "SuperH",
  43: "SPARC v9",
  50: "IA-64",
  62: "x86-64",
  92: "OpenRISC",
  94: "Xtensa",
  164: "Hexagon",
  183: "AArch64",
  189: "MicroBlaze",
  243: "RISC-V",
  258: "LoongArch",
};

/** e_machine in words. */
export function machineName(machine: number): string {
  return MACHINES[machine] ?? `machine ${machine}`;
}

const EM_MIPS = 8;
const EM_PPC64 = 21;
const EM_ARM = 40;
const EM_RISCV = 243;
const EM_LOONGARCH = 258;

const MIPS_ISA: Record<number, string> = {
  0: "mips1",
  1: "mips2",
  2: "mips3",
  3: "mips4",
  4: "mips5",
  5: "mips32",
  6: "mips64",
  7: "mips32r2",
  8: "mips64r2",
  9: "mips32r6",
  10: "mips64r6",
};

/** The ABI facts of e_flags that decide what can run a program, in words. */
export function abiOf(machine: number, bits: 32 | 64, flags: number): string[] {
  switch (machine) {
    case EM_ARM: {
      const facts: string[] = [];
      const eabi = flags >>> 24;
      facts.push(eabi > 0 ? `EABI${eabi}` : "old ABI (not EABI)");
      if (flags & 0x400) facts.push("hard-float");
      else if (flags & 0x200) facts.push("soft-float");
      if (flags & 0x800000) facts.push("BE8");
      return facts;
    }
    case EM_MIPS: {
      const facts: string[] = [];
      if (bits === 64) facts.push("n64");
      else if (flags & 0x20) facts.push("n32");
      else facts.push((flags & 0xf000) === 0x2000 ? "o64" : "o32");
      const isa = MIPS_ISA[flags >>> 28];
      if (isa) facts.push(isa);
      if (flags & 0x400) facts.push("NaN2008");
      return facts;
    }
    case EM_RISCV: {
      const float = ["soft-float", "single-float", "double-float", "quad-float"][(flags >> 1) & 3] ?? "soft-float";
      return [float, ...(flags & 1 ? ["RVC"] : []), ...(flags & 8 ? ["RVE"] : [])];
    }
    case EM_PPC64: {
      const version = flags & 3;
      return version === 0 ? [] : [`ELFv${version}`];
    }
    case EM_LOONGARCH: {
      const float = { 1: "soft-float", 2: "single-float", 3: "double-float" }[flags & 7];
      return float ? [float] : [];
    }
    default:
      return [];
  }
}
