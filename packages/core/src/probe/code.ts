/**
 * Per-cpu machine code for `exit_group(status)`: the syscall number into the syscall register, the status into the
 * first argument register, then the trap. The call never returns, so nothing follows it (no delay slot either, but
 * hppa's, which runs before the branch lands).
 */

import type { QemuCpu } from "../targets.js";
import type { ElfSpec } from "./elf.js";

/** How to build the exit program of one cpu: the ELF identity, and the code for a given exit status (0..255). */
export interface ExitCode extends Omit<ElfSpec, "code"> {
  readonly code: (status: number) => Uint8Array;
}

/** 32-bit instruction words, in the given byte order. */
function words(littleEndian: boolean, ...insns: number[]): Uint8Array {
  const out = new Uint8Array(insns.length * 4);
  const view = new DataView(out.buffer);
  for (const [i, insn] of insns.entries()) view.setUint32(i * 4, insn >>> 0, littleEndian);
  return out;
}

/** 16-bit instruction words (SuperH), in the given byte order. */
function halfwords(littleEndian: boolean, ...insns: number[]): Uint8Array {
  const out = new Uint8Array(insns.length * 2);
  const view = new DataView(out.buffer);
  for (const [i, insn] of insns.entries()) view.setUint16(i * 2, insn, littleEndian);
  return out;
}

const LE = true;
const BE = false;

// EM_* machine numbers.
const EM_SPARC = 2;
const EM_386 = 3;
const EM_68K = 4;
const EM_486 = 6;
const EM_MIPS = 8;
const EM_PARISC = 15;
const EM_SPARC32PLUS = 18;
const EM_PPC = 20;
const EM_PPC64 = 21;
const EM_S390 = 22;
const EM_ARM = 40;
const EM_SH = 42;
const EM_SPARCV9 = 43;
const EM_X86_64 = 62;
const EM_OPENRISC = 92;
const EM_XTENSA = 94;
const EM_QDSP6 = 164; // Hexagon
const EM_AARCH64 = 183;
const EM_RISCV = 243;
const EM_LOONGARCH = 258;
const EM_ALPHA = 0x9026;
const EM_MICROBLAZE_OLD = 0xbaab; // the number QEMU's binfmt magic matches (QEMU's loader takes it and 189)

const EF_ARM_EABI_VER5 = 0x05000000;
const EF_PPC64_ELFV2 = 2; // ELFv2: e_entry is code, not a function descriptor (ELFv1)
const EF_MIPS_ABI_O32 = 0x00001000;
const EF_MIPS_ARCH_32R2 = 0x70000000;
const EF_MIPS_ARCH_64R2 = 0x80000000;
const EF_RISCV_RVC_DOUBLE = 0x5; // EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE, as Debian's riscv64 binaries
const EF_LOONGARCH_LP64D_OBJV1 = 0x43;
const EF_MIPS_ABI2 = 0x00000020; // n32
const EF_SPARC_32PLUS = 0x100;
const EF_PARISC_1_1 = 0x210; // EFA_PARISC_1_1, as Debian's hppa binaries
const EF_HEXAGON_MACH_V67 = 0x67;

const arm = (le: boolean) => (s: number) => words(le, 0xe3a070f8, 0xe3a00000 | s, 0xef000000);
const ppc64 = (le: boolean) => (s: number) => words(le, 0x380000ea, 0x38600000 | s, 0x44000002);
const mipsO32 = (le: boolean) => (s: number) => words(le, 0x24021096, 0x24040000 | s, 0x0000000c);
const mipsN64 = (le: boolean) => (s: number) => words(le, 0x24021455, 0x24040000 | s, 0x0000000c);
const mipsN32 = (le: boolean) => (s: number) => words(le, 0x2402183d, 0x24040000 | s, 0x0000000c);
const i386 = (s: number) => Uint8Array.of(0xb8, 0xfc, 0, 0, 0, 0xbb, s, 0, 0, 0, 0xcd, 0x80);
const aarch64 = (s: number) => words(LE, 0xd2800bc8, 0xd2800000 | (s << 5), 0xd4000001);
const sparc32 = (s: number) => words(BE, 0x821020bc, 0x90102000 | s, 0x91d02010);
const sh4 = (le: boolean) => (s: number) => halfwords(le, 0xe3fc, 0x633c, 0xe400 | s, 0xc311);
const microblaze = (le: boolean) => (s: number) => words(le, 0x318000fc, 0x30a00000 | s, 0xb9cc0008);
/** Xtensa's 24-bit RRI8/RRR instructions: the same fields, laid out from the other end in big-endian cores. */
const xtensa = (le: boolean) => (s: number) =>
  le
    ? Uint8Array.of(0x22, 0xa0, 119, 0x62, 0xa0, s, 0x00, 0x50, 0x00)
    : Uint8Array.of(0x22, 0x0a, 119, 0x26, 0x0a, s, 0x00, 0x05, 0x00);

/** The exit program of every target; `Record` keeps it complete when a target is added. */
export const EXIT_CODE: Readonly<Record<QemuCpu, ExitCode>> = {
  // movz x8, #94 (exit_group); movz x0, #s; svc #0
  aarch64: {
    elfClass: 64,
    littleEndian: LE,
    machine: EM_AARCH64,
    flags: 0,
    code: aarch64,
  },
  // mov r7, #248 (exit_group); mov r0, #s; svc #0  (EABI: number in r7)
  arm: { elfClass: 32, littleEndian: LE, machine: EM_ARM, flags: EF_ARM_EABI_VER5, code: arm(LE) },
  // same, BE32: big-endian data and instructions (no EF_ARM_BE8)
  armeb: { elfClass: 32, littleEndian: BE, machine: EM_ARM, flags: EF_ARM_EABI_VER5, code: arm(BE) },
  // mov eax, 252 (exit_group); mov ebx, s; int 0x80
  i386: {
    elfClass: 32,
    littleEndian: LE,
    machine: EM_386,
    flags: 0,
    code: i386,
  },
  // mov eax, 231 (exit_group); mov edi, s; syscall
  x86_64: {
    elfClass: 64,
    littleEndian: LE,
    machine: EM_X86_64,
    flags: 0,
    code: (s) => Uint8Array.of(0xb8, 0xe7, 0, 0, 0, 0xbf, s, 0, 0, 0, 0x0f, 0x05),
  },
  // li r0, 234 (exit_group); li r3, s; sc
  ppc64: { elfClass: 64, littleEndian: BE, machine: EM_PPC64, flags: EF_PPC64_ELFV2, code: ppc64(BE) },
  ppc64le: { elfClass: 64, littleEndian: LE, machine: EM_PPC64, flags: EF_PPC64_ELFV2, code: ppc64(LE) },
  // lghi %r2, s; svc 248 (exit_group)
  s390x: {
    elfClass: 64,
    littleEndian: BE,
    machine: EM_S390,
    flags: 0,
    code: (s) => Uint8Array.of(0xa7, 0x29, 0, s, 0x0a, 0xf8),
  },
  // li a7, 93 (exit_group); li a0, s; ecall
  riscv64: {
    elfClass: 64,
    littleEndian: LE,
    machine: EM_RISCV,
    flags: EF_RISCV_RVC_DOUBLE,
    code: (s) => words(LE, 0x05d00893, 0x00000513 | (s << 20), 0x00000073),
  },
  // li v0, 4246 (o32 exit_group); li a0, s; syscall
  mips: {
    elfClass: 32,
    littleEndian: BE,
    machine: EM_MIPS,
    flags: EF_MIPS_ABI_O32 | EF_MIPS_ARCH_32R2,
    code: mipsO32(BE),
  },
  mipsel: {
    elfClass: 32,
    littleEndian: LE,
    machine: EM_MIPS,
    flags: EF_MIPS_ABI_O32 | EF_MIPS_ARCH_32R2,
    code: mipsO32(LE),
  },
  // li v0, 5205 (n64 exit_group); li a0, s; syscall
  mips64: { elfClass: 64, littleEndian: BE, machine: EM_MIPS, flags: EF_MIPS_ARCH_64R2, code: mipsN64(BE) },
  mips64el: { elfClass: 64, littleEndian: LE, machine: EM_MIPS, flags: EF_MIPS_ARCH_64R2, code: mipsN64(LE) },
  // addi.w $a7, $zero, 94 (exit_group); addi.w $a0, $zero, s; syscall 0
  loongarch64: {
    elfClass: 64,
    littleEndian: LE,
    machine: EM_LOONGARCH,
    flags: EF_LOONGARCH_LP64D_OBJV1,
    code: (s) => words(LE, 0x0281780b, 0x02800004 | (s << 10), 0x002b0000),
  },
  // mov 188, %g1 (exit_group); mov s, %o0; ta 0x6d (64-bit syscall trap)
  sparc64: {
    elfClass: 64,
    littleEndian: BE,
    machine: EM_SPARCV9,
    flags: 0,
    code: (s) => words(BE, 0x821020bc, 0x90102000 | s, 0x91d0206d),
  },
  // The i386 code, marked EM_486 (qemu-i386 and x86 kernels take both).
  i486: { elfClass: 32, littleEndian: LE, machine: EM_486, flags: 0, code: i386 },
  // lda $0, 405($31) (exit_group); lda $16, s($31); call_pal 0x83 (callsys)
  alpha: {
    elfClass: 64,
    littleEndian: LE,
    machine: EM_ALPHA,
    flags: 0,
    code: (s) => words(LE, 0x201f0195, 0x221f0000 | s, 0x00000083),
  },
  // mov 188, %g1 (exit_group); mov s, %o0; ta 0x10 (32-bit syscall trap)
  sparc: { elfClass: 32, littleEndian: BE, machine: EM_SPARC, flags: 0, code: sparc32 },
  sparc32plus: { elfClass: 32, littleEndian: BE, machine: EM_SPARC32PLUS, flags: EF_SPARC_32PLUS, code: sparc32 },
  // li r0, 234 (exit_group); li r3, s; sc
  ppc: {
    elfClass: 32,
    littleEndian: BE,
    machine: EM_PPC,
    flags: 0,
    code: (s) => words(BE, 0x380000ea, 0x38600000 | s, 0x44000002),
  },
  // move.l #247, %d0 (exit_group); moveq #s, %d1; trap #0
  m68k: {
    elfClass: 32,
    littleEndian: BE,
    machine: EM_68K,
    flags: 0,
    code: (s) => Uint8Array.of(0x20, 0x3c, 0, 0, 0, 0xf7, 0x72, s, 0x4e, 0x40),
  },
  // li v0, 6205 (n32 exit_group); li a0, s; syscall. ELF32 with EF_MIPS_ABI2 on a 64-bit ISA.
  mipsn32: {
    elfClass: 32,
    littleEndian: BE,
    machine: EM_MIPS,
    flags: EF_MIPS_ABI2 | EF_MIPS_ARCH_64R2,
    code: mipsN32(BE),
  },
  mipsn32el: {
    elfClass: 32,
    littleEndian: LE,
    machine: EM_MIPS,
    flags: EF_MIPS_ABI2 | EF_MIPS_ARCH_64R2,
    code: mipsN32(LE),
  },
  // mov #-4, r3; extu.b r3, r3 (252, exit_group); mov #s, r4 (sign-extended: the kernel keeps the low byte); trapa #0x11
  sh4: { elfClass: 32, littleEndian: LE, machine: EM_SH, flags: 0, code: sh4(LE) },
  sh4eb: { elfClass: 32, littleEndian: BE, machine: EM_SH, flags: 0, code: sh4(BE) },
  // The aarch64 code: A64 instructions are little-endian in big-endian programs too (only data is big-endian).
  aarch64_be: { elfClass: 64, littleEndian: BE, machine: EM_AARCH64, flags: 0, code: aarch64 },
  // ldi 222, %r20 (exit_group); ldi s, %r26; be,l 0x100(%sr2, %r0) (the gateway page); nop (its delay slot)
  hppa: {
    elfClass: 32,
    littleEndian: BE,
    machine: EM_PARISC,
    flags: EF_PARISC_1_1,
    code: (s) => words(BE, 0x341401bc, 0x341a0000 | (s << 1), 0xe4008200, 0x08000240),
  },
  // li a7, 94 (exit_group); li a0, s; ecall
  riscv32: {
    elfClass: 32,
    littleEndian: LE,
    machine: EM_RISCV,
    flags: EF_RISCV_RVC_DOUBLE,
    code: (s) => words(LE, 0x05e00893, 0x00000513 | (s << 20), 0x00000073),
  },
  // movi a2, 119 (exit_group); movi a6, s; syscall. Neither uses the register window, so the windowed and call0
  // ABIs both run it.
  xtensa: { elfClass: 32, littleEndian: LE, machine: EM_XTENSA, flags: 0, code: xtensa(LE) },
  xtensaeb: { elfClass: 32, littleEndian: BE, machine: EM_XTENSA, flags: 0, code: xtensa(BE) },
  // addik r12, r0, 252 (exit_group); addik r5, r0, s; brki r14, 0x8
  microblaze: { elfClass: 32, littleEndian: BE, machine: EM_MICROBLAZE_OLD, flags: 0, code: microblaze(BE) },
  microblazeel: { elfClass: 32, littleEndian: LE, machine: EM_MICROBLAZE_OLD, flags: 0, code: microblaze(LE) },
  // l.addi r11, r0, 94 (exit_group); l.addi r3, r0, s; l.sys 1
  or1k: {
    elfClass: 32,
    littleEndian: BE,
    machine: EM_OPENRISC,
    flags: 0,
    code: (s) => words(BE, 0x9d60005e, 0x9c600000 | s, 0x20000001),
  },
  // { r6 = #94 } (exit_group); { r0 = #s }; { trap0(#1) }: one instruction per packet (parse bits 11).
  hexagon: {
    elfClass: 32,
    littleEndian: LE,
    machine: EM_QDSP6,
    flags: EF_HEXAGON_MACH_V67,
    code: (s) => words(LE, 0x7820cbc6, 0x7820c000 | (s << 5), 0x5400c004),
  },
};
