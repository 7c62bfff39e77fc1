import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { QusError } from "@qus/core";
import { removeContext } from "./docker-context.js";
import { readVm } from "./manifest.js";
import { clearState, isVmProcess, readState, registryDir, type VmState, vmFolder } from "./state.js";

/** How long `qus vm stop` lets the guest shut down before it ends QEMU itself. */
export const DEFAULT_STOP_TIMEOUT_MS = 60_000;

/** Options of {@link stopVm}. */
export interface StopVmOptions {
  readonly dir: string;
  readonly timeoutMs?: number;
  readonly registry?: string;
}

/** How a VM ended. */
export interface StoppedVm {
  readonly name: string | undefined;
  /** `shutdown`: the guest powered off; `killed`: it did not in time and QEMU was ended; `not-running`. */
  readonly how: "shutdown" | "killed" | "not-running";
  readonly ms: number;
}

/**
 * Stops the VM in `dir`: asks the guest to power off through its control port, waits, ends QEMU if it has not
 * exited by then, and removes the docker context, the forwarded port (with QEMU) and the VM's run files.
 */
export async function stopVm(options: StopVmOptions): Promise<StoppedVm> {
  const dir = vmFolder(options.dir);
  const registry = options.registry ?? registryDir();
  const state = readState(dir);
  if (!state) return { name: readVm(dir).manifest.name, how: "not-running", ms: 0 };
  const started = Date.now();
  if (!isVmProcess(state.pid, dir)) {
    await forget(state, registry);
    return { name: state.name, how: "not-running", ms: 0 };
  }
  if (!maySignal(state.pid)) {
    throw new QusError("QUS_NOT_ROOT", `the VM ${state.name} runs as another user (QEMU pid ${state.pid})`, {
      hint: "stop it as that user, or with sudo",
    });
  }
  await askPoweroff(state.controlSocket);
  const clean = await waitForExit(state, options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
  if (!clean) await endQemu(state);
  await forget(state, registry);
  return { name: state.name, how: clean ? "shutdown" : "killed", ms: Date.now() - started };
}

/** Ends a VM at once (a failed boot, an interrupt): QEMU is terminated, then killed, and its traces removed. */
export async function killVm(state: VmState, registry = registryDir()): Promise<void> {
  await endQemu(state);
  await forget(state, registry);
}

async function forget(state: VmState, registry: string): Promise<void> {
  if (state.context) await removeContext(state.context, state.dockerPort);
  clearState(state, registry);
}

async function endQemu(state: VmState): Promise<void> {
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    try {
      process.kill(state.pid, signal);
    } catch {
      return;
    }
    if (await waitForExit(state, 5_000)) return;
  }
}

function maySignal(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "EPERM";
  }
}

async function waitForExit(state: VmState, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isVmProcess(state.pid, state.dir)) {
    if (Date.now() >= deadline) return false;
    await sleep(200);
  }
  return true;
}

/** Writes `poweroff` to the guest's control port (qus-control in the guest runs `systemctl poweroff`). */
function askPoweroff(socket: string): Promise<void> {
  return new Promise((done) => {
    const connection = connect(socket);
    const timer = setTimeout(() => connection.destroy(), 2_000);
    connection.on("connect", () => connection.end("poweroff\n"));
    connection.on("close", () => {
      clearTimeout(timer);
      done();
    });
    connection.on("error", () => {});
  });
}
