import { accessSync, constants, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { QusError } from "@qus/core";
import { hostCpu, onInterrupt, ownArchitecture } from "@qus/core/toolkit";
import type { VmArch } from "./arches.js";
import { type CheckedDisk, checkDisk } from "./disk-check.js";
import { createContext, dockerHostOf, requireContextFree } from "./docker-context.js";
import { pingDocker } from "./docker-ping.js";
import { freeLoopbackPort } from "./free-port.js";
import { readVm, VM_FILES } from "./manifest.js";
import { qemuCommand } from "./qemu-command.js";
import { runStep, type StepOptions, tail } from "./run-step.js";
import {
  clearState,
  isVmProcess,
  listStates,
  readState,
  registryDir,
  runFiles,
  type VmState,
  vmFolder,
  writeState,
} from "./state.js";
import { killVm } from "./stop.js";
import { requireProgram } from "./tools.js";

/** How long `qus vm start` waits for the guest's dockerd by default: TCG boots take about 25 s on 2 cores. */
export const DEFAULT_BOOT_TIMEOUT_MS = 300_000;

/** Options of {@link startVm}. */
export interface StartVmOptions extends StepOptions {
  readonly dir: string;
  /** How long to wait for the guest's dockerd before stopping the VM ({@link DEFAULT_BOOT_TIMEOUT_MS}). */
  readonly bootTimeoutMs?: number;
  readonly memoryMb?: number;
  readonly cpus?: number;
  /** The registry of running VMs ({@link registryDir} by default). */
  readonly registry?: string;
}

/** A VM that `startVm` left running. */
export interface StartedVm {
  readonly state: VmState;
  /** `tcp://127.0.0.1:PORT` when the guest runs Docker. */
  readonly dockerHost: string | undefined;
  readonly bootMs: number;
  readonly kvm: boolean;
  /** What did not work but left the VM usable (a docker context that could not be made). */
  readonly warnings: readonly string[];
}

/**
 * Boots the VM in `dir` in the background, waits until the guest's dockerd answers on a loopback port, and creates
 * a docker context named after the VM. A boot that dies or does not answer in time is stopped and reported with
 * its console log; nothing is left running then.
 */
export async function startVm(options: StartVmOptions): Promise<StartedVm> {
  const dir = vmFolder(options.dir);
  const { manifest, arch } = readVm(dir);
  const qemu = requireProgram(arch.qemuSystem);
  const registry = options.registry ?? registryDir();
  const files = runFiles(dir);
  mkdirSync(files.run, { recursive: true });
  // The lock first: everything below reads or clears state that a racing start may be writing.
  takeLock(files.lock, dir);
  const started = Date.now();
  let state: VmState | undefined;
  let launched = false;
  const forget = onInterrupt(() => {
    rmSync(files.lock, { force: true });
    // Until this start launches QEMU, the folder's state may be another run's VM: leave it.
    if (!launched) return;
    // Before QEMU has daemonized there is no state yet, but there may be its pid file.
    const pid = state?.pid ?? pidInFile(files.pid);
    if (pid && isVmProcess(pid, dir)) killVmNow(pid);
    clearState({ dir, name: manifest.name }, registry);
  });
  try {
    refuseRunning(dir, manifest.name, registry);
    if (manifest.docker) await requireContextFree(manifest.name);
    // The folder may be a copy from elsewhere: its disk must stand alone, as any disk qus opens.
    const disk = await checkDisk(options, join(dir, VM_FILES.disk));
    const kvm = canUseKvm(arch);
    const dockerPort = await freeLoopbackPort();
    rmSync(files.consoleLog, { force: true });
    rmSync(files.controlSocket, { force: true });
    const argv = bootCommand(options, { dir, arch, disk, kvm, dockerPort });
    options.onProgress?.(`booting ${manifest.name} (${arch.qemuSystem}, ${kvm ? "KVM" : "TCG"})`);
    // -daemonize: QEMU reports a bad option or a taken port by its exit status, then runs on in its own session.
    launched = true;
    await runStep(options, [qemu, ...argv.slice(1)], {
      what: `starting ${arch.qemuSystem}`,
      code: "QUS_VM_BOOT_FAILED",
      timeoutMs: 60_000,
    });
    const pid = Number(readFileSync(files.pid, "utf8").trim());
    state = {
      name: manifest.name,
      dir,
      arch: arch.debian,
      pid,
      dockerPort: manifest.docker ? dockerPort : undefined,
      context: undefined,
      consoleLog: files.consoleLog,
      controlSocket: files.controlSocket,
      startedAt: new Date(started).toISOString(),
    };
    writeState(state, registry);
    if (!manifest.docker) return { state, dockerHost: undefined, bootMs: Date.now() - started, kvm, warnings: [] };
    const { context, warnings } = await awaitDocker(options, state, registry);
    state = { ...state, context };
    writeState(state, registry);
    return { state, dockerHost: dockerHostOf(dockerPort), bootMs: Date.now() - started, kvm, warnings };
  } finally {
    forget();
    rmSync(files.lock, { force: true });
  }
}

const bootTimeout = (options: StartVmOptions) => options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS;

/** Refuses a start while this folder's VM, or another folder's VM of the same name, runs; forgets a dead one. */
function refuseRunning(dir: string, name: string, registry: string): void {
  const previous = readState(dir);
  if (previous && isVmProcess(previous.pid, dir)) throw alreadyRunning(previous);
  if (previous) clearState(previous, registry);
  const sameName = listStates(registry).find(
    ({ state: other, confirmed }) => confirmed && other.name === name && other.dir !== dir,
  )?.state;
  if (sameName && isVmProcess(sameName.pid, sameName.dir)) {
    throw new QusError("QUS_VM_RUNNING", `a VM named ${name} already runs from ${sameName.dir}`, {
      hint: `stop it first: qus vm stop ${sameName.dir}`,
    });
  }
}

/** QEMU's argv for a boot of the VM in the background, its files in the VM's run folder. */
function bootCommand(
  options: StartVmOptions,
  boot: { dir: string; arch: VmArch; disk: CheckedDisk; kvm: boolean; dockerPort: number },
): string[] {
  const files = runFiles(boot.dir);
  return qemuCommand({
    arch: boot.arch,
    kernel: join(boot.dir, VM_FILES.kernel),
    initrd: join(boot.dir, VM_FILES.initrd),
    disk: boot.disk.path,
    diskFormat: boot.disk.format,
    memoryMb: options.memoryMb ?? 2048,
    cpus: options.cpus ?? Math.min(availableParallelism(), 4),
    kvm: boot.kvm,
    mode: {
      kind: "boot",
      dockerPort: boot.dockerPort,
      controlSocket: files.controlSocket,
      consoleLog: files.consoleLog,
      pidFile: files.pid,
    },
  });
}

/** Waits for the guest's dockerd, then makes its docker context; a context that cannot be made is a warning. */
async function awaitDocker(
  options: StartVmOptions,
  state: VmState,
  registry: string,
): Promise<{ context: string | undefined; warnings: string[] }> {
  const port = state.dockerPort as number;
  options.onProgress?.(`waiting for the guest's dockerd (at most ${Math.round(bootTimeout(options) / 1000)} s)`);
  await waitForDocker(state, bootTimeout(options), registry);
  // The VM is up: a context that cannot be made is said, not a reason to end it.
  const warnings: string[] = [];
  const context = await createContext(state.name, port).catch((error: unknown) => {
    warnings.push(`no docker context: ${(error as Error).message}; use DOCKER_HOST=${dockerHostOf(port)}`);
    return undefined;
  });
  return { context, warnings };
}

async function waitForDocker(state: VmState, timeoutMs: number, registry: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isVmProcess(state.pid, state.dir)) {
      clearState(state, registry);
      throw new QusError("QUS_VM_DIED", `the VM ${state.name} ended while it booted`, {
        hint: consoleHint(state.consoleLog),
      });
    }
    if (await pingDocker(state.dockerPort as number)) return;
    if (Date.now() >= deadline) {
      await killVm(state, registry);
      throw new QusError(
        "QUS_VM_BOOT_FAILED",
        `the guest's dockerd did not answer within ${Math.round(timeoutMs / 1000)} s; the VM was stopped`,
        { hint: `${consoleHint(state.consoleLog)}\n(a slower machine may need --boot-timeout SECS)` },
      );
    }
    await sleep(1_000);
  }
}

/** Where the console log is, and its last lines. */
export function consoleHint(consoleLog: string): string {
  let last = "";
  try {
    last = tail(readFileSync(consoleLog, "utf8").replaceAll("\r", "").trimEnd(), 10);
  } catch {
    // No log: QEMU never got as far as opening it.
  }
  return `the guest's console log: ${consoleLog}${last ? `\nits last lines:\n${last}` : ""}`;
}

function alreadyRunning(state: VmState): QusError {
  return new QusError("QUS_VM_RUNNING", `the VM ${state.name} already runs (QEMU pid ${state.pid})`, {
    hint: state.dockerPort
      ? `use it: docker --context ${state.context ?? state.name} ps, or DOCKER_HOST=tcp://127.0.0.1:${state.dockerPort}`
      : `stop it with qus vm stop ${state.dir}`,
  });
}

/** One `start` at a time per VM folder: a second one racing the first is told so instead of booting the disk twice. */
function takeLock(lock: string, dir: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    // Written whole, then linked into place: the lock never exists without its owner's pid.
    const mine = `${lock}.${process.pid}`;
    writeFileSync(mine, String(process.pid));
    try {
      linkSync(mine, lock);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      rmSync(mine, { force: true });
    }
    const owner = Number(readFileSync(lock, "utf8").trim());
    if (owner && processAlive(owner)) {
      throw new QusError("QUS_VM_RUNNING", `another qus (pid ${owner}) is starting the VM in ${dir}`, {
        hint: `wait for it, then use qus vm status (if no qus runs with that pid, remove ${lock})`,
      });
    }
    rmSync(lock, { force: true });
  }
  throw new QusError("QUS_VM_RUNNING", `another qus keeps taking the start lock of ${dir}`, {
    hint: "wait for it, then use qus vm status",
  });
}

function pidInFile(file: string): number | undefined {
  try {
    return Number(readFileSync(file, "utf8").trim()) || undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function killVmNow(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

/** KVM only runs a guest of the host's own architecture (core's native rule), and only with /dev/kvm at hand. */
export function canUseKvm(arch: VmArch, hostArch: string = process.arch, kvmDevice = "/dev/kvm"): boolean {
  if (!ownArchitecture(hostCpu(hostArch), arch.target.cpu)) return false;
  try {
    accessSync(kvmDevice, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
