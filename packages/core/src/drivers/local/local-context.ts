import { hostCpu } from "../../architectures.js";
import { isQusError } from "../../errors.js";
import { type Exec, execProcess } from "../../exec.js";
import type { QemuCpu } from "../../targets.js";
import type { ProbeResult } from "../types.js";
import { BINFMT_DIR, type WriteControl, writeControl } from "./binfmt-fs.js";
import { defaultSearchDirs, validateQemuPath } from "./interpreters.js";
import { allRunChrooted, createProbeDir, runProbe } from "./probes.js";
import { binfmtWriteError } from "./write-errors.js";

/** Options of the local driver. */
export interface LocalDriverOptions {
  /** Look for QEMU interpreters only in this folder. */
  readonly qemuPath?: string;
  /** Runs processes; the default runs them for real. */
  readonly exec?: Exec;
  /** Where binfmt_misc is mounted. */
  readonly binfmtDir?: string;
  /** Writes one control string to a binfmt_misc file; the default writes it for real. */
  readonly writeControl?: WriteControl;
  /** Whether qus runs as root; the default asks the process. */
  readonly root?: boolean;
}

/** The local driver's options with their defaults, and the machine's cpu: what each of its operations uses. */
export interface LocalContext {
  readonly exec: Exec;
  /** Where binfmt_misc is mounted. */
  readonly dir: string;
  /** Where QEMU interpreters are looked for. */
  readonly searchDirs: readonly string[];
  readonly isRoot: boolean;
  readonly write: WriteControl;
  /** This machine's cpu, when qus knows it. */
  readonly host: QemuCpu | undefined;
}

/** The context of a local driver; a `qemuPath` that is no folder of interpreters is refused at once. */
export function createLocalContext(options: LocalDriverOptions): LocalContext {
  const exec = options.exec ?? execProcess;
  const dir = options.binfmtDir ?? BINFMT_DIR;
  if (options.qemuPath !== undefined) validateQemuPath(options.qemuPath);
  const searchDirs = options.qemuPath ? [options.qemuPath] : defaultSearchDirs();
  const isRoot = options.root ?? process.getuid?.() === 0;
  const write = options.writeControl ?? writeControl;
  const host = hostCpu();
  return { exec, dir, searchDirs, isRoot, write, host };
}

/** Runs one write to binfmt_misc; the kernel's refusal of it becomes an error that names the file and the fix. */
export async function kernelWrite(
  context: LocalContext,
  what: string,
  path: string,
  run: () => Promise<void>,
): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (isQusError(error)) throw error;
    throw binfmtWriteError(error, { what, path, dir: context.dir, root: context.isRoot }) ?? error;
  }
}

/** Runs each cpu's probe: in one chrooted batch when that works, else one by one, at once. */
export async function probeTargets(
  context: LocalContext,
  cpus: readonly QemuCpu[],
): Promise<Map<QemuCpu, ProbeResult>> {
  const { exec, isRoot } = context;
  const results = new Map<QemuCpu, ProbeResult>();
  if (cpus.length === 0) return results;
  const probeDir = await createProbeDir(cpus, context.host);
  try {
    // One batch for the common case; a single probe runs on its own at once (a hang then costs one timeout).
    if (isRoot && cpus.length > 1 && (await allRunChrooted(exec, probeDir, cpus))) {
      for (const cpu of cpus) results.set(cpu, { ok: true, chrooted: true });
      return results;
    }
    await Promise.all(cpus.map(async (cpu) => results.set(cpu, await runProbe(exec, probeDir, cpu, isRoot))));
  } finally {
    await probeDir.dispose();
  }
  return results;
}
