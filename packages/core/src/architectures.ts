import { type QemuCpu, TARGETS } from "./targets.js";

/**
 * Lookups of machine names and compat modes, all derived from the target table: the one place that knows which
 * architecture a machine is.
 */

const BY_NODE_ARCH = new Map(TARGETS.flatMap((target) => (target.nodeArch ? [[target.nodeArch, target.cpu]] : [])));
const BY_MACHINE = new Map(TARGETS.flatMap((target) => (target.machines ?? []).map((name) => [name, target.cpu])));

/** Machine names (`uname -m`, engines' `Architecture`) qus knows. */
export const KNOWN_MACHINES: readonly string[] = [...BY_MACHINE.keys()];

/** The QEMU cpu of a machine as `uname -m` or a container engine names it (`x86_64`, `aarch64`, `amd64`). */
export function cpuOfMachine(machine: string): QemuCpu | undefined {
  return BY_MACHINE.get(machine);
}

/**
 * The QEMU cpu of an architecture as engines written in Go name it (`amd64`, `arm64`, `386`, `mips64le`): the arch
 * part of the target's OCI platforms, or a machine name.
 */
export function cpuOfEngineArch(arch: string): QemuCpu | undefined {
  return (
    cpuOfMachine(arch) ??
    TARGETS.find((target) => target.platforms.some((platform) => platform.split("/")[1] === arch))?.cpu
  );
}

/** The QEMU cpu of the machine running qus (from Node's `process.arch`). */
export function hostCpu(arch: string = process.arch): QemuCpu | undefined {
  return BY_NODE_ARCH.get(arch);
}

/** Cpus that might run natively on a host cpu (its compat modes), to be confirmed by running their probes. */
export function nativeCandidates(host: QemuCpu | undefined): readonly QemuCpu[] {
  return TARGETS.filter((target) => target.compatOf?.some((mode) => mode.host === host)).map((target) => target.cpu);
}

/** Whether a compat cpu of the host runs natively on its usual kernels (i386 on x86_64). */
export function usuallyNative(host: QemuCpu | undefined, cpu: QemuCpu): boolean {
  const target = TARGETS.find((candidate) => candidate.cpu === cpu);
  return target?.compatOf?.some((mode) => mode.host === host && mode.usually) ?? false;
}
