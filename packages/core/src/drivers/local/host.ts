import { open } from "node:fs/promises";
import { type MagicPattern, matchesHeader } from "../../binfmt/match.js";
import type { QemuCpu } from "../../targets.js";

/** Programs that surely are this machine's own: a handler matching them would route the host through QEMU. */
const HOST_PROGRAMS = [process.execPath, "/bin/sh"];

/** The first 128 bytes of this machine's own programs (those that can be read). */
export async function readHostHeaders(): Promise<Uint8Array[]> {
  const headers = await Promise.all(HOST_PROGRAMS.map((path) => readHeader(path).catch(() => undefined)));
  return headers.filter((header): header is Uint8Array => header !== undefined && header.length > 0);
}

/** The first `length` bytes of a file. */
export async function readHeader(path: string, length = 128): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
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

/** The QEMU cpu name of the machine running qus. */
export function hostCpu(arch: string = process.arch): QemuCpu | undefined {
  return NODE_ARCH_TO_CPU[arch];
}
