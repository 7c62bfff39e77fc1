/**
 * Per-cpu machine code for `exit_group(status)`: the syscall number into the syscall register, the status into the
 * first argument register, then the trap. The call never returns, so nothing follows it (not even a delay slot).
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

const LE = true;
const BE = false;

// EM_* machine numbers.
const EM_386 = 3;
const EM_MIPS = 8;
const EM_PPC64 = 21;
const EM_S390 = 22;
const EM_ARM = 40;
const EM_SPARCV9 = 43;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;
const EM_RISCV = 243;
const EM_LOONGARCH = 258;

const EF_ARM_EABI_VER5 = 0x05000000;
const EF_PPC64_ELFV2 = 2; // ELFv2: e_entry is code, not a function descriptor (ELFv1)
const EF_MIPS_ABI_O32 = 0x00001000;
const EF_MIPS_ARCH_32R2 = 0x70000000;
const EF_MIPS_ARCH_64R2 = 0x80000000;
const EF_RISCV_RVC_DOUBLE = 0x5; // EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE, as Debian's riscv64 binaries
const EF_LOONGARCH_LP64D_OBJV1 = 0x43;

const arm = (le: boolean) => (s: number) => words(le, 0xe3a070f8, 0xe3a00000 | s, 0xef000000);
const ppc64 = (le: boolean) => (s: number) => words(le, 0x380000ea, 0x38600000 | s, 0x44000002);
const mipsO32 = (le: boolean) => (s: number) => words(le, 0x24021096, 0x24040000 | s, 0x0000000c);
const mipsN64 = (le: boolean) => (s: number) => words(le, 0x24021455, 0x24040000 | s, 0x0000000c);

/** The exit program of every target; `Record` keeps it complete when a target is added. */
export const EXIT_CODE: Readonly<Record<QemuCpu, ExitCode>> = {
  // movz x8, #94 (exit_group); movz x0, #s; svc #0
  aarch64: {
    elfClass: 64,
    littleEndian: LE,
    machine: EM_AARCH64,
    flags: 0,
    code: (s) => words(LE, 0xd2800bc8, 0xd2800000 | (s << 5), 0xd4000001),
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
    code: (s) => Uint8Array.of(0xb8, 0xfc, 0, 0, 0, 0xbb, s, 0, 0, 0, 0xcd, 0x80),
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
};
