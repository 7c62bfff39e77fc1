import { release } from "node:os";
import { claimedBy } from "../../binfmt/entry.js";
import { type Registration, renderRegister } from "../../binfmt/register.js";
import { errnoCode, isQusError, QusError } from "../../errors.js";
import { type Exec, execProcess } from "../../exec.js";
import { entryDifferences, type PlanStep, targetPattern } from "../../plan.js";
import { buildProbe } from "../../probe/index.js";
import type { QemuCpu, Target } from "../../targets.js";
import type { ApplyOutcome, Driver, Inspection, InspectRequest, ProbeResult, RemoveOutcome } from "../types.js";
import { BINFMT_DIR, isMounted, mountBinfmt, readEntries, readEntry, removeEntry, writeControl } from "./binfmt-fs.js";
import { hostCpu, matchesHost, nativeCandidates, readHostHeaders } from "./host.js";
import { defaultSearchDirs, findInterpreters } from "./interpreters.js";
import { kernelAtLeast } from "./kernel-version.js";
import { createNativeCache } from "./native-cache.js";
import { allRunChrooted, createProbeDir, runProbe, runsDirectly } from "./probes.js";
import { qemuVersions } from "./qemu-versions.js";

/** Options of the local driver. */
export interface LocalDriverOptions {
  /** Look for QEMU interpreters only in this folder. */
  readonly qemuPath?: string;
  /** Runs processes; the default runs them for real. */
  readonly exec?: Exec;
  /** Where binfmt_misc is mounted. */
  readonly binfmtDir?: string;
}

/** The driver for this machine's own kernel, through /proc/sys/fs/binfmt_misc. Changes need root. */
export function createLocalDriver(options: LocalDriverOptions = {}): Driver {
  const exec = options.exec ?? execProcess;
  const dir = options.binfmtDir ?? BINFMT_DIR;
  const searchDirs = options.qemuPath ? [options.qemuPath] : defaultSearchDirs();
  const isRoot = process.getuid?.() === 0;

  async function probeTargets(cpus: readonly QemuCpu[]): Promise<Map<QemuCpu, ProbeResult>> {
    const results = new Map<QemuCpu, ProbeResult>();
    if (cpus.length === 0) return results;
    const probeDir = await createProbeDir(cpus, hostCpu());
    try {
      if (isRoot && (await allRunChrooted(exec, probeDir, cpus))) {
        for (const cpu of cpus) results.set(cpu, { ok: true });
        return results;
      }
      await Promise.all(cpus.map(async (cpu) => results.set(cpu, await runProbe(exec, probeDir, cpu, isRoot))));
    } finally {
      await probeDir.dispose();
    }
    return results;
  }

  // With no entry in the way, a probe that runs proves the cpu needs no emulation (i386 on x86_64).
  async function detectNative(cpus: readonly QemuCpu[], native: Map<QemuCpu, string>): Promise<void> {
    const cache = createNativeCache();
    const unknown = cpus.filter((cpu) => cache.get(cpu) === undefined);
    const results = new Map<QemuCpu, boolean>();
    if (unknown.length > 0) {
      const probeDir = await createProbeDir(unknown, undefined);
      try {
        await Promise.all(unknown.map(async (cpu) => results.set(cpu, await runsDirectly(exec, probeDir, cpu))));
      } finally {
        await probeDir.dispose();
      }
      cache.set(results);
    }
    for (const cpu of cpus) {
      if (results.get(cpu) ?? cache.get(cpu)) native.set(cpu, "runs natively without emulation");
    }
  }

  return {
    name: "local",

    async inspect(request: InspectRequest): Promise<Inspection> {
      const warnings: string[] = [];
      let binfmtMounted = isMounted(dir);
      let mountedByQus = false;
      if (!binfmtMounted && request.mount) {
        await mountBinfmt(exec, dir);
        binfmtMounted = mountedByQus = true;
        warnings.push(`mounted binfmt_misc at ${dir}`);
      } else if (!binfmtMounted) {
        warnings.push(`binfmt_misc is not mounted at ${dir}: nothing is registered`);
      }
      const entries = binfmtMounted ? readEntries(dir) : [];
      const hostHeaders = readHostHeaders();
      const candidates = nativeCandidates(hostCpu());

      const native = new Map<QemuCpu, string>();
      const claimed: QemuCpu[] = [];
      const unclaimedCandidates: QemuCpu[] = [];
      for (const target of request.targets) {
        if (matchesHost(targetPattern(target), hostHeaders)) native.set(target.cpu, "this machine's own architecture");
        else if (claimedBy(entries, buildProbe(target.cpu))) claimed.push(target.cpu);
        else if (candidates.includes(target.cpu)) unclaimedCandidates.push(target.cpu);
      }
      const emulated = request.targets.map((target) => target.cpu).filter((cpu) => !native.has(cpu));
      const interpreters = findInterpreters(emulated, searchDirs);
      const [, probes, versions] = await Promise.all([
        detectNative(unclaimedCandidates, native),
        request.verify ? probeTargets(claimed) : Promise.resolve(new Map<QemuCpu, ProbeResult>()),
        qemuVersions(
          exec,
          [...interpreters.values()].map((interpreter) => interpreter.path),
        ),
      ]);
      if (request.verify && !isRoot && claimed.length > 0) {
        warnings.push(
          "not root: probes ran outside a chroot, where an entry without the F flag still works; run as root for the real check",
        );
      }
      for (const [cpu, interpreter] of interpreters) {
        if (!interpreter.static && !native.has(cpu)) {
          warnings.push(
            `${interpreter.path} is dynamically linked: with the F flag it fails inside containers; install qemu-user-static`,
          );
        }
      }
      return {
        kernel: { release: release(), binfmtMounted, mountedByQus },
        entries,
        native,
        interpreters,
        probes,
        qemuVersions: versions,
        warnings,
      };
    },

    async apply(steps: readonly PlanStep[], verify: readonly Target[]): Promise<ApplyOutcome> {
      requireRoot(isRoot, "change binfmt_misc entries");
      const hostHeaders = readHostHeaders();
      const failures = new Map<QemuCpu, QusError>();
      for (const step of steps) {
        try {
          for (const name of step.remove) await removeEntry(name, dir);
          if (step.enable) await writeControl(`${dir}/${step.enable}`, "1");
          if (step.register) await register(step.register, hostHeaders, dir);
        } catch (error) {
          failures.set(step.target.cpu, toKernelError(error, step));
        }
      }
      const verifyCpus = verify.map((target) => target.cpu).filter((cpu) => !failures.has(cpu));
      const entries = readEntries(dir);
      const probes = await probeTargets(verifyCpus);
      const interpreters = steps.flatMap((step) => (step.register ? [step.register.interpreter] : []));
      return { entries, failures, probes, qemuVersions: await qemuVersions(exec, interpreters) };
    },

    async remove(names: readonly string[]): Promise<RemoveOutcome> {
      requireRoot(isRoot, "remove binfmt_misc entries");
      const removed: string[] = [];
      const failures = new Map<string, QusError>();
      for (const name of names) {
        try {
          await removeEntry(name, dir);
          removed.push(name);
        } catch (error) {
          failures.set(
            name,
            new QusError("QUS_KERNEL_WRITE_FAILED", `could not remove ${name}: ${String(error)}`, { cause: error }),
          );
        }
      }
      return { removed, failures };
    },
  };
}

function requireRoot(isRoot: boolean, what: string): void {
  if (!isRoot) {
    throw new QusError("QUS_NOT_ROOT", `qus must run as root to ${what}`, {
      hint: "run it with sudo, or as root in CI (qus status and qus verify work without root)",
    });
  }
}

/** Registers one entry. A concurrent run that registered the same entry first (EEXIST) counts as success. */
async function register(registration: Registration, hostHeaders: readonly Uint8Array[], dir: string): Promise<void> {
  // Checked again at the last moment: an entry matching the host's own programs would route them all through QEMU.
  if (matchesHost(registration, hostHeaders)) {
    throw new QusError(
      "QUS_HOST_MATCH",
      `refusing to register ${registration.name}: its magic matches this machine's own programs`,
      {
        hint: "this architecture runs natively here and needs no emulation",
      },
    );
  }
  try {
    await writeControl(`${dir}/register`, renderRegister(registration));
  } catch (error) {
    if (errnoCode(error) !== "EEXIST") throw error;
    const now = readEntry(registration.name, dir);
    if (now && entryDifferences(now, registration, registration.flags, registration.interpreter).length === 0) return;
    throw new QusError(
      "QUS_KERNEL_WRITE_FAILED",
      `${registration.name} was registered meanwhile by another program, differently`,
      {
        hint: "run qus ensure again with --replace to take it over",
        cause: error,
      },
    );
  }
}

function toKernelError(error: unknown, step: PlanStep): QusError {
  if (isQusError(error)) return error;
  const code = errnoCode(error);
  const name = step.register?.name ?? step.enable ?? step.remove[0] ?? step.target.cpu;
  if (code === "EPERM" || code === "EACCES") {
    return new QusError("QUS_NOT_ROOT", `the kernel refused to change ${name} (${code})`, {
      hint: "run qus as root; inside a container it needs --cap-add SYS_ADMIN",
      cause: error,
    });
  }
  if (code === "EINVAL" && step.register?.flags.includes("F") && !kernelAtLeast(4, 8)) {
    return new QusError("QUS_KERNEL_NO_F_FLAG", `kernel ${release()} does not know the F flag (Linux 4.8+)`, {
      hint: "upgrade the kernel, or pass --flags without F (then emulation does not work inside containers)",
      cause: error,
    });
  }
  if (code === "ENOENT" && step.register) {
    return new QusError(
      "QUS_INTERPRETER_MISSING",
      `the interpreter ${step.register.interpreter} of ${name} does not exist`,
      {
        hint: "install qemu-user-static (apt-get install qemu-user-static) or pass --qemu-path DIR",
        cause: error,
      },
    );
  }
  return new QusError("QUS_KERNEL_WRITE_FAILED", `the kernel refused ${name}: ${code ?? String(error)}`, {
    hint: "check `dmesg` and the entry with `qus status`",
    cause: error,
  });
}
