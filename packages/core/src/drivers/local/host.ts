import { closeSync, openSync, readSync } from "node:fs";
import { type MagicPattern, matchesHeader } from "../../binfmt/match.js";
import type { QemuCpu } from "../../targets.js";

/** Programs that surely are this machine's own: a handler matching them would route the host through QEMU. */
const HOST_PROGRAMS = [process.execPath, "/bin/sh"];

/** The first 128 bytes of this machine's own programs (those that can be read). */
export function readHostHeaders(): Uint8Array[] {
  return HOST_PROGRAMS.flatMap((path) => {
    try {
      return [readHeaderSync(path)];
    } catch {
      return [];
    }
  }).filter((header) => header.length > 0);
}

/** The first `length` bytes of a file. */
export function readHeaderSync(path: string, length = 128): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const buffer = new Uint8Array(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Whether a pattern would claim any of the host's own programs. */
export function matchesHost(pattern: MagicPattern, hostHeaders: readonly Uint8Array[]): boolean {
  return hostHeaders.some((header) => matchesHeader(pattern, header));
}

const NODE_ARCH_TO_CPU: Record<string, QemuCpu> = {
  x64: "x86_64",
  ia32: "i386",
  arm64: "aarch64",
  arm: "arm",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loongarch64",
  mips: "mips",
  mipsel: "mipsel",
};

const UNAME_TO_CPU: Record<string, QemuCpu> = {
  x86_64: "x86_64",
  i686: "i386",
  aarch64: "aarch64",
  armv7l: "arm",
  ppc64le: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loongarch64: "loongarch64",
};

/** Machine names (`uname -m`) qus knows. */
export const KNOWN_MACHINES: readonly string[] = Object.keys(UNAME_TO_CPU);

/** The QEMU cpu name of a machine as `uname -m` (and `docker info`) name it. */
export function cpuOfMachine(machine: string): QemuCpu | undefined {
  return UNAME_TO_CPU[machine];
}

/** The QEMU cpu name of the machine running qus. */
export function hostCpu(arch: string = process.arch): QemuCpu | undefined {
  return NODE_ARCH_TO_CPU[arch];
}

// Only a cpu's own compat modes can run without emulation. `usually`: the host's distributions run them natively
// (x86_64 kernels ship IA32 emulation), so only a run that fails with "exec format error" shows otherwise; the
// others (32-bit arm on arm64 servers that lack it) are decided by running their probes.
const COMPAT_MODES: Partial<Record<QemuCpu, readonly { cpu: QemuCpu; usually: boolean }[]>> = {
  x86_64: [{ cpu: "i386", usually: true }],
  aarch64: [
    { cpu: "arm", usually: false },
    { cpu: "armeb", usually: false },
  ],
  ppc64le: [{ cpu: "ppc64", usually: false }],
  mips64el: [{ cpu: "mipsel", usually: false }],
  mips64: [{ cpu: "mips", usually: false }],
};

/** Cpus that might run natively on a host cpu, to be confirmed by running their probes. */
export function nativeCandidates(host: QemuCpu | undefined): readonly QemuCpu[] {
  return host ? (COMPAT_MODES[host] ?? []).map((mode) => mode.cpu) : [];
}

/** Whether a compat cpu of the host runs natively on its usual kernels (i386 on x86_64). */
export function usuallyNative(host: QemuCpu | undefined, cpu: QemuCpu): boolean {
  return host ? (COMPAT_MODES[host] ?? []).some((mode) => mode.cpu === cpu && mode.usually) : false;
}
