import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onInterrupt } from "../../cleanup.js";
import { errnoCode, QusError } from "../../errors.js";
import type { Exec } from "../../exec.js";
import { buildExitProgram, buildProbe } from "../../probe/index.js";
import type { QemuCpu } from "../../targets.js";
import { describeProbeRun, NO_HANDLER_STATUS } from "../probe-verdict.js";
import type { ProbeResult } from "../types.js";

/** A folder holding one probe per cpu (at `/<cpu>`) and the stand-in shell; the chroot that verification uses. */
export interface ProbeDir {
  readonly path: string;
  dispose(): Promise<void>;
}

const PREFIX = "qus-probe-";

/** How long one probe (a program that only exits) may take under emulation before it counts as hung. */
export const PROBE_TIMEOUT_MS = 10_000;

let swept = false;

/**
 * Writes the probes of `cpus` to a fresh temporary folder (a few small files: synchronous calls are faster).
 * The folder is named after this process and removed if qus is interrupted; folders of processes that no longer
 * run (killed with SIGKILL) are swept first.
 */
export async function createProbeDir(cpus: readonly QemuCpu[], host: QemuCpu | undefined): Promise<ProbeDir> {
  // Once per process: a run makes up to three probe folders, and what it leaves is swept by the next run.
  if (!swept) {
    swept = true;
    sweepStaleProbeDirs(tmpdir());
  }
  const path = makeTempDir(tmpdir());
  const remove = () => rmSync(path, { recursive: true, force: true });
  const unregister = onInterrupt(remove);
  chmodSync(path, 0o755);
  for (const cpu of cpus) writeFileSync(join(path, cpu), buildProbe(cpu), { mode: 0o755 });
  if (host) {
    mkdirSync(join(path, "bin"));
    writeFileSync(join(path, "bin", "sh"), buildExitProgram(host, NO_HANDLER_STATUS), { mode: 0o755 });
  }
  return {
    path,
    dispose: async () => {
      unregister();
      remove();
    },
  };
}

function makeTempDir(parent: string): string {
  try {
    return mkdtempSync(join(parent, `${PREFIX}${process.pid}-`));
  } catch (error) {
    throw new QusError(
      "QUS_TMPDIR_UNUSABLE",
      `cannot create the probes' folder in ${parent}: ${errnoCode(error) ?? String(error)}`,
      { hint: "point TMPDIR at a writable folder where programs may run (not mounted noexec)", cause: error },
    );
  }
}

/** Removes probe folders left by qus processes that no longer run. */
export function sweepStaleProbeDirs(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(PREFIX.length).split("-")[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
    } catch {
      // Another user's folder: not ours to remove.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === "EPERM";
  }
}

/**
 * Runs every probe chrooted, in parallel, from one process (xargs): the common case, all verified, costs one
 * spawn instead of one per platform. False when any failed; then run them one by one for the reasons.
 */
export async function allRunChrooted(exec: Exec, dir: ProbeDir, cpus: readonly QemuCpu[]): Promise<boolean> {
  const input = cpus.map((cpu) => `/${cpu}`).join("\n");
  const result = await exec("xargs", ["-P", String(cpus.length), "-n", "1", "chroot", dir.path], {
    input,
    timeoutMs: PROBE_TIMEOUT_MS,
  });
  return result.exitCode === 0;
}

/**
 * Runs a probe the way builds meet it: chrooted in the probe folder, where no interpreter path resolves,
 * so only an entry with the F flag works (as inside containers). Without root it runs the probe directly.
 */
export async function runProbe(exec: Exec, dir: ProbeDir, cpu: QemuCpu, chroot: boolean): Promise<ProbeResult> {
  const result = chroot
    ? await exec("chroot", [dir.path, `/${cpu}`], { timeoutMs: PROBE_TIMEOUT_MS })
    : await exec(join(dir.path, cpu), [], { timeoutMs: PROBE_TIMEOUT_MS });
  return describeProbeRun(result, chroot);
}
