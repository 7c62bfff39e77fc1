/**
 * Probes: tiny static executables, one per target, that only call `exit_group(0)`. Running one (through the binfmt
 * entry, or through qemu directly) and seeing status 0 proves the platform works. Generated here, byte by byte: no
 * assembler at runtime and no binary files in the repository.
 */

import type { QemuCpu } from "../targets.js";
import { EXIT_CODE } from "./code.js";
import { writeElf } from "./elf.js";

/** Every cpu a probe can be built for (all of {@link QemuCpu}). */
export const PROBE_CPUS: readonly QemuCpu[] = Object.keys(EXIT_CODE) as QemuCpu[];

/**
 * A static ELF executable for `cpu` that exits with `status` (0..255) and does nothing else.
 * Internal: tests use a non-zero status to prove the code really runs; callers want {@link buildProbe}.
 */
export function buildExitProgram(cpu: QemuCpu, status: number): Uint8Array {
  const entry = EXIT_CODE[cpu];
  if (!entry) throw new Error(`no probe for cpu ${JSON.stringify(cpu)}`);
  if (!Number.isInteger(status) || status < 0 || status > 255)
    throw new RangeError(`exit status ${status} not in 0..255`);
  const { code, ...identity } = entry;
  return writeElf({ ...identity, code: code(status) });
}

const probes = new Map<QemuCpu, Uint8Array>();

/**
 * The probe for `cpu`: a static ELF executable (under 256 bytes) that exits with status 0.
 * Built once per cpu; each call returns a fresh copy, so callers may keep or modify it.
 */
export function buildProbe(cpu: QemuCpu): Uint8Array {
  let probe = probes.get(cpu);
  if (!probe) {
    probe = buildExitProgram(cpu, 0);
    probes.set(cpu, probe);
  }
  return probe.slice();
}
