import { release } from "node:os";
import { hostCpu, nativeCandidates } from "../../architectures.js";
import { type BinfmtEntry, claimantsOf } from "../../binfmt/entry.js";
import { type Registration, renderRegister } from "../../binfmt/register.js";
import { errnoCode, isQusError, QusError } from "../../errors.js";
import { type Exec, execProcess } from "../../exec.js";
import { type PlanStep, targetPattern } from "../../plan.js";
import { buildProbe } from "../../probe/index.js";
import { formatCommand } from "../../shell-quote.js";
import type { QemuCpu, Target } from "../../targets.js";
import { decideNative, registeredMeanwhile } from "../native-policy.js";
import type {
  ApplyOutcome,
  Driver,
  Inspection,
  InspectRequest,
  InterpreterFile,
  ProbeResult,
  RemoveOutcome,
} from "../types.js";
import { currentUserNamespace } from "../user-namespace.js";
import {
  BINFMT_DIR,
  isBinfmtEnabled,
  isMounted,
  mountBinfmt,
  readEntries,
  readEntry,
  removeEntry,
  type WriteControl,
  writeControl,
} from "./binfmt-fs.js";
import { matchesHost, readHostHeaders } from "./host.js";
import { classifyInterpreter } from "./interpreter-file.js";
import { defaultSearchDirs, findInterpreters, validateQemuPath } from "./interpreters.js";
import { kernelAtLeast } from "./kernel-version.js";
import { detectNative } from "./native.js";
import { allRunChrooted, createProbeDir, runProbe } from "./probes.js";
import { qemuVersions } from "./qemu-versions.js";
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

/** The driver for this machine's own kernel, through /proc/sys/fs/binfmt_misc. Changes need root. */
export function createLocalDriver(options: LocalDriverOptions = {}): Driver {
  const exec = options.exec ?? execProcess;
  const dir = options.binfmtDir ?? BINFMT_DIR;
  if (options.qemuPath !== undefined) validateQemuPath(options.qemuPath);
  const searchDirs = options.qemuPath ? [options.qemuPath] : defaultSearchDirs();
  const isRoot = options.root ?? process.getuid?.() === 0;
  const write = options.writeControl ?? writeControl;
  const host = hostCpu();

  /** Runs one write to binfmt_misc; the kernel's refusal of it becomes an error that names the file and the fix. */
  async function kernelWrite(what: string, path: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (isQusError(error)) throw error;
      throw binfmtWriteError(error, { what, path, dir, root: isRoot }) ?? error;
    }
  }

  async function probeTargets(cpus: readonly QemuCpu[]): Promise<Map<QemuCpu, ProbeResult>> {
    const results = new Map<QemuCpu, ProbeResult>();
    if (cpus.length === 0) return results;
    const probeDir = await createProbeDir(cpus, host);
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
      const binfmtEnabled = !binfmtMounted || isBinfmtEnabled(dir);
      const hostHeaders = readHostHeaders();
      const candidates = nativeCandidates(host);

      const native = new Map<QemuCpu, string>();
      const hostClaims = new Map<QemuCpu, readonly string[]>();
      const claimed: QemuCpu[] = [];
      const unclaimedCandidates: QemuCpu[] = [];
      const claimedCandidates: QemuCpu[] = [];
      // Which entries claim each target's programs: read once, used for every decision below.
      const claimantsByCpu = new Map(
        request.targets.map((target) => [target.cpu, claimantsOf(entries, buildProbe(target.cpu))] as const),
      );
      const claimantNames = (cpu: QemuCpu) => (claimantsByCpu.get(cpu) ?? []).map((entry) => entry.name);
      for (const target of request.targets) {
        const claimants = claimantNames(target.cpu);
        if (matchesHost(targetPattern(target), hostHeaders)) {
          native.set(target.cpu, "this machine's own architecture");
          if (claimants.length > 0) hostClaims.set(target.cpu, claimants);
        } else if (candidates.includes(target.cpu)) {
          (claimants.length > 0 ? claimedCandidates : unclaimedCandidates).push(target.cpu);
        } else if (claimants.length > 0) claimed.push(target.cpu);
      }
      const findings = await detectNative(unclaimedCandidates, claimedCandidates, { exec, host, root: isRoot });
      for (const [cpu, finding] of findings) {
        const claimants = claimantNames(cpu);
        const decision = decideNative(host, cpu, finding, claimants.length > 0);
        if (decision.native) native.set(cpu, decision.reason ?? "runs natively");
        else if (claimants.length > 0) claimed.push(cpu);
        if (decision.hostClaimed) hostClaims.set(cpu, claimants);
      }

      const emulated = request.targets.map((target) => target.cpu).filter((cpu) => !native.has(cpu));
      const interpreters = findInterpreters(emulated, searchDirs);
      const [probes, versions] = await Promise.all([
        request.verify ? probeTargets(claimed) : Promise.resolve(new Map<QemuCpu, ProbeResult>()),
        // The claimants' own interpreters too: persist checks that a path still holds that cpu's emulator.
        qemuVersions(exec, [
          ...[...interpreters.values()].map((interpreter) => interpreter.path),
          ...claimed.flatMap((cpu) => (claimantsByCpu.get(cpu) ?? []).map((entry) => entry.interpreter)),
        ]),
      ]);
      if (request.verify && !isRoot && claimed.length > 0) {
        warnings.push(
          "not root: probes ran outside a chroot, so each entry's flags were judged instead (without F it fails in containers); run as root for the real check",
        );
      }
      for (const [, interpreter] of interpreters) {
        if (!interpreter.static) {
          warnings.push(
            `${interpreter.path} is dynamically linked: with the F flag it fails inside containers; install qemu-user-static`,
          );
        }
      }
      if (!binfmtEnabled) {
        warnings.push(`binfmt_misc is switched off as a whole (${dir}/status reads disabled): no entry is used`);
      }
      const userNamespace = currentUserNamespace();
      if (userNamespace) {
        warnings.push(
          `qus runs in a user namespace (${userNamespace}): the table shown may be private to it, and what runs here may not run on the host`,
        );
      }
      return {
        kernel: { release: release(), binfmtMounted, binfmtEnabled, mountedByQus, userNamespace },
        entries,
        native,
        hostClaims,
        interpreters,
        interpreterFiles: classifyInterpreters(entries, hostHeaders[0]),
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
          for (const name of step.remove) {
            await kernelWrite(`remove ${name}`, `${dir}/${name}`, () => removeEntry(name, dir, write));
          }
          const { enable, register: registration } = step;
          if (enable) await kernelWrite(`enable ${enable}`, `${dir}/${enable}`, () => enableEntry(enable, dir, write));
          if (registration) {
            await kernelWrite(`register ${registration.name}`, `${dir}/register`, () =>
              register(registration, step.target.cpu, hostHeaders, { exec, host, write }, dir),
            );
          }
        } catch (error) {
          failures.set(step.target.cpu, toKernelError(error, step));
        }
      }
      const verifyCpus = verify.map((target) => target.cpu).filter((cpu) => !failures.has(cpu));
      const interpreters = steps.flatMap((step) => (step.register ? [step.register.interpreter] : []));
      const [probes, versions] = await Promise.all([probeTargets(verifyCpus), qemuVersions(exec, interpreters)]);
      const entries = readEntries(dir);
      return { entries, failures, probes, qemuVersions: versions };
    },

    async remove(names: readonly string[]): Promise<RemoveOutcome> {
      requireRoot(isRoot, "remove binfmt_misc entries");
      const removed: string[] = [];
      const failures = new Map<string, QusError>();
      for (const name of names) {
        try {
          await kernelWrite(`remove ${name}`, `${dir}/${name}`, () => removeEntry(name, dir, write));
          removed.push(name);
        } catch (error) {
          failures.set(
            name,
            isQusError(error)
              ? error
              : new QusError(
                  "QUS_KERNEL_WRITE_FAILED",
                  `could not remove ${name}: ${errnoCode(error) ?? String(error)}`,
                  {
                    hint: "check `dmesg` and the entry with qus status",
                    cause: error,
                  },
                ),
          );
        }
      }
      return { removed, failures, entries: readEntries(dir) };
    },
  };
}

function classifyInterpreters(entries: readonly BinfmtEntry[], hostHeader: Uint8Array | undefined) {
  const files = new Map<string, InterpreterFile>();
  for (const entry of entries) {
    if (!entry.interpreter || files.has(entry.interpreter)) continue;
    const file = classifyInterpreter(entry.interpreter, hostHeader);
    if (file) files.set(entry.interpreter, file);
  }
  return files;
}

/** Enables an entry; one that a concurrent run removed meanwhile is named as such. */
async function enableEntry(name: string, dir: string, write: WriteControl): Promise<void> {
  try {
    await write(`${dir}/${name}`, "1");
  } catch (error) {
    if (readEntry(name, dir)) throw error;
    throw new QusError("QUS_KERNEL_WRITE_FAILED", `${name} was removed by another program while qus enabled it`, {
      hint: "run qus ensure again",
      cause: error,
    });
  }
}

function requireRoot(isRoot: boolean, what: string): void {
  if (!isRoot) {
    throw new QusError("QUS_NOT_ROOT", `qus must run as root to ${what}`, {
      hint: "run it with sudo, or as root in CI (qus status and qus verify work without root)",
    });
  }
}

/**
 * Registers one entry. A concurrent run that registered the same entry first (EEXIST) counts as success; one that
 * removed it again before it could be read is retried.
 */
async function register(
  registration: Registration,
  cpu: QemuCpu,
  hostHeaders: readonly Uint8Array[],
  seams: { exec: Exec; host: QemuCpu | undefined; write: WriteControl },
  dir: string,
): Promise<void> {
  await refuseHostRegistration(registration, cpu, hostHeaders, seams);
  for (let attempt = 0; ; attempt++) {
    try {
      await seams.write(`${dir}/register`, renderRegister(registration));
      return;
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw error;
      const meanwhile = registeredMeanwhile(readEntry(registration.name, dir), registration);
      if (meanwhile === "gone" && attempt < 3) continue;
      if (meanwhile === "same") return;
      throw new QusError(
        "QUS_KERNEL_WRITE_FAILED",
        meanwhile === "different"
          ? `${registration.name} was registered meanwhile by another program, differently`
          : `${registration.name} kept changing while qus registered it: another program is registering and removing it`,
        {
          hint: `run ${formatCommand(["qus", "ensure", "--replace", "--platforms", cpu])} to take it over`,
          cause: error,
        },
      );
    }
  }
}

/**
 * Checked again at the last moment, whatever the plan or the cache said: an entry matching the host's own programs,
 * or one for a compat mode of the host (i386 on x86_64) that a run right now does not prove foreign ("exec format
 * error" with nothing claiming it), would route the host's own programs through QEMU.
 */
async function refuseHostRegistration(
  registration: Registration,
  cpu: QemuCpu,
  hostHeaders: readonly Uint8Array[],
  seams: { exec: Exec; host: QemuCpu | undefined },
): Promise<void> {
  const matches = matchesHost(registration, hostHeaders);
  if (!matches && !nativeCandidates(seams.host).includes(cpu)) return;
  const finding = matches
    ? undefined
    : (await detectNative([cpu], [], { ...seams, root: true, cache: NO_CACHE })).get(cpu);
  if (finding?.verdict === "foreign") return;
  throw new QusError(
    "QUS_HOST_MATCH",
    matches
      ? `refusing to register ${registration.name}: its magic matches this machine's own programs`
      : `refusing to register ${registration.name}: this ${seams.host} machine ${finding?.verdict === "native" ? "runs" : "may run"} ${cpu} programs itself`,
    { hint: "this architecture runs natively here and needs no emulation" },
  );
}

// The last-moment guard decides from a run of its own, never from what an earlier run remembered.
const NO_CACHE = { get: () => undefined, set: () => {} };

function toKernelError(error: unknown, step: PlanStep): QusError {
  if (isQusError(error)) return error;
  const code = errnoCode(error);
  const name = step.register?.name ?? step.enable ?? step.remove[0] ?? step.target.cpu;
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
