import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** Writes the probes of `cpus` to a fresh temporary folder (a few small files: synchronous calls are faster). */
export async function createProbeDir(cpus: readonly QemuCpu[], host: QemuCpu | undefined): Promise<ProbeDir> {
  const path = mkdtempSync(join(tmpdir(), "qus-probe-"));
  chmodSync(path, 0o755);
  for (const cpu of cpus) writeFileSync(join(path, cpu), buildProbe(cpu), { mode: 0o755 });
  if (host) {
    mkdirSync(join(path, "bin"));
    writeFileSync(join(path, "bin", "sh"), buildExitProgram(host, NO_HANDLER_STATUS), { mode: 0o755 });
  }
  return { path, dispose: async () => rmSync(path, { recursive: true, force: true }) };
}

/** Whether a cpu's probe runs on this machine as it is (natively, when no entry claims it). */
export async function runsDirectly(exec: Exec, dir: ProbeDir, cpu: QemuCpu): Promise<boolean> {
  const result = await exec(join(dir.path, cpu), [], { timeoutMs: 10_000 });
  return result.exitCode === 0;
}

/**
 * Runs every probe chrooted, in parallel, from one process (xargs): the common case, all verified, costs one
 * spawn instead of one per platform. False when any failed; then run them one by one for the reasons.
 */
export async function allRunChrooted(exec: Exec, dir: ProbeDir, cpus: readonly QemuCpu[]): Promise<boolean> {
  const input = cpus.map((cpu) => `/${cpu}`).join("\n");
  const result = await exec("xargs", ["-P", String(cpus.length), "-n", "1", "chroot", dir.path], {
    input,
    timeoutMs: 30_000,
  });
  return result.exitCode === 0;
}

/**
 * Runs a probe the way builds meet it: chrooted in the probe folder, where no interpreter path resolves,
 * so only an entry with the F flag works (as inside containers). Without root it runs the probe directly.
 */
export async function runProbe(exec: Exec, dir: ProbeDir, cpu: QemuCpu, chroot: boolean): Promise<ProbeResult> {
  const result = chroot
    ? await exec("chroot", [dir.path, `/${cpu}`], { timeoutMs: 30_000 })
    : await exec(join(dir.path, cpu), [], { timeoutMs: 30_000 });
  return describeProbeRun(result, chroot);
}
