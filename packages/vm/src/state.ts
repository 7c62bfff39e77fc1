import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { VM_FILES, VM_NAME } from "./manifest.js";

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

/** A VM folder's one name: its real path, so that a start through a link and a stop by the real path agree. */
export function vmFolder(dir: string): string {
  try {
    return realpathSync(resolve(dir));
  } catch {
    return resolve(dir);
  }
}

/**
 * The state of the VM in `dir`, if `start` left one there. The file can be copied or edited, so nothing in it names
 * a path: a state whose `dir` is another folder (a copy of a running VM's folder) is not this folder's, and the run
 * files are this folder's own.
 */
export function readState(dir: string): VmState | undefined {
  const folder = vmFolder(dir);
  const state = parseState(runFiles(folder).state);
  if (!state || vmFolder(state.dir) !== folder) return undefined;
  const files = runFiles(folder);
  return { ...state, dir: folder, consoleLog: files.consoleLog, controlSocket: files.controlSocket };
}

/** A registry entry: the folder's own state when the folder agrees with it, else only what the entry says. */
export interface ListedState {
  readonly state: VmState;
  /** False when the folder no longer holds this VM's state (removed, replaced, or the entry was edited). */
  readonly confirmed: boolean;
  /** The registry file it was read from. */
  readonly entry: string;
}

/** Every VM the registry lists, running or not, each checked against its own folder. */
export function listStates(registry = registryDir()): ListedState[] {
  if (!existsSync(registry)) return [];
  const listed: ListedState[] = [];
  for (const file of readdirSync(registry).filter((name) => name.endsWith(".json"))) {
    const path = join(registry, file);
    const entry = parseState(path);
    if (!entry) continue;
    const own = readState(entry.dir);
    const confirmed = own !== undefined && own.name === entry.name && own.pid === entry.pid;
    listed.push({ state: confirmed ? own : entry, confirmed, entry: path });
  }
  return listed;
}

/** Removes a registry entry that its folder does not confirm (the file it was read from), touching nothing it names. */
export function dropRegistryEntry(listed: ListedState): void {
  rmSync(listed.entry, { force: true });
}

/** Forgets a VM: its state file, pid file, socket, and its registry entry (the console log stays, for post-mortems). */
export function clearState(state: Pick<VmState, "dir" | "name">, registry = registryDir()): void {
  const files = runFiles(vmFolder(state.dir));
  // Not the start lock: a clean-up must never release the lock of a start under way.
  for (const file of [files.state, files.pid, files.controlSocket]) rmSync(file, { force: true });
  const entry = join(registry, `${state.name}.json`);
  // Another folder's VM of the same name may have taken the entry since.
  const listed = parseState(entry);
  if (listed && vmFolder(listed.dir) === vmFolder(state.dir)) rmSync(entry, { force: true });
}

/** Whether `pid` is a live QEMU of the VM in `dir` (not a reused pid of some other program). */
export function isVmProcess(pid: number, dir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const zombie = /\) Z /.test(stat);
    const folder = `${vmFolder(dir)}/`;
    return !zombie && (argv[0] ?? "").includes("qemu-system-") && argv.some((arg) => arg.includes(folder));
  } catch {
    return false;
  }
}

function parseState(file: string): VmState | undefined {
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as VmState;
    // The name becomes a registry file name: a state naming anything but a VM name is not one.
    const named = typeof state.name === "string" && VM_NAME.test(state.name);
    return named && Number.isInteger(state.pid) && state.pid > 0 && typeof state.dir === "string" ? state : undefined;
  } catch {
    return undefined;
  }
}
