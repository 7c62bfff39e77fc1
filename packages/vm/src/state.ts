import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { VM_FILES } from "./manifest.js";

/** What `qus vm start` left for `stop` and `status`: one JSON file in the VM's run folder, one in the registry. */
export interface VmState {
  readonly name: string;
  readonly dir: string;
  readonly arch: string;
  readonly pid: number;
  /** The loopback port QEMU forwards to the guest's dockerd; undefined for a VM without Docker. */
  readonly dockerPort: number | undefined;
  /** The docker context `start` created, if it could. */
  readonly context: string | undefined;
  readonly consoleLog: string;
  readonly controlSocket: string;
  readonly startedAt: string;
}

/** The files of a VM's run folder. */
export function runFiles(dir: string) {
  const run = join(resolve(dir), VM_FILES.run);
  return {
    run,
    state: join(run, "state.json"),
    lock: join(run, "starting.lock"),
    pid: join(run, "qemu.pid"),
    consoleLog: join(run, "console.log"),
    controlSocket: join(run, "control.sock"),
  };
}

/**
 * The registry `qus vm status` lists: `$QUS_VM_STATE_DIR`, else `$XDG_STATE_HOME/qus/vm`, else
 * `~/.local/state/qus/vm`; one file per running VM, named after it.
 */
export function registryDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.QUS_VM_STATE_DIR) return env.QUS_VM_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(homedir(), ".local/state"), "qus/vm");
}

/** Records a started VM in its folder and in the registry. */
export function writeState(state: VmState, registry = registryDir()): void {
  const text = `${JSON.stringify(state, null, 2)}\n`;
  writeFileSync(runFiles(state.dir).state, text);
  mkdirSync(registry, { recursive: true });
  writeFileSync(join(registry, `${state.name}.json`), text);
}

/** The state of the VM in `dir`, if `start` left one. */
export function readState(dir: string): VmState | undefined {
  return parseState(runFiles(dir).state);
}

/** Every VM the registry lists, running or not. */
export function listStates(registry = registryDir()): VmState[] {
  if (!existsSync(registry)) return [];
  return readdirSync(registry)
    .filter((file) => file.endsWith(".json"))
    .map((file) => parseState(join(registry, file)))
    .filter((state): state is VmState => state !== undefined);
}

/** Forgets a VM: its state file, pid file, socket, and its registry entry (the console log stays, for post-mortems). */
export function clearState(state: Pick<VmState, "dir" | "name">, registry = registryDir()): void {
  const files = runFiles(state.dir);
  // Not the start lock: a clean-up must never release the lock of a start under way.
  for (const file of [files.state, files.pid, files.controlSocket]) rmSync(file, { force: true });
  const entry = join(registry, `${state.name}.json`);
  // Another folder's VM of the same name may have taken the entry since.
  if (parseState(entry)?.dir === resolve(state.dir)) rmSync(entry, { force: true });
}

/** Whether `pid` is a live QEMU of the VM in `dir` (not a reused pid of some other program). */
export function isVmProcess(pid: number, dir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const zombie = /\) Z /.test(stat);
    const folder = `${resolve(dir)}/`;
    return !zombie && (argv[0] ?? "").includes("qemu-system-") && argv.some((arg) => arg.includes(folder));
  } catch {
    return false;
  }
}

function parseState(file: string): VmState | undefined {
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as VmState;
    return typeof state.pid === "number" && typeof state.dir === "string" ? state : undefined;
  } catch {
    return undefined;
  }
}
