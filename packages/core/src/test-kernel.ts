/**
 * A small model of binfmt_misc and the machine around it, for @qus/core's unit tests (not part of the public API):
 * the table, which entry claims a program (magic under mask at offset, newest first), the F flag, interpreter
 * files, and how a probe ends, judged by the drivers' own verdict.
 */
import { type BinfmtEntry, claimantsOf } from "./binfmt/entry.js";
import { matchesHeader } from "./binfmt/match.js";
import { type Registration, renderRegister } from "./binfmt/register.js";
import { registeredMeanwhile } from "./drivers/native-policy.js";
import { describeProbeRun, NO_HANDLER_STATUS } from "./drivers/probe-verdict.js";
import type { ProbeResult } from "./drivers/types.js";
import { isQusError, QusError, type QusErrorCode } from "./errors.js";
import type { ExecResult } from "./exec.js";
import type { PlanStep } from "./plan.js";
import { buildProbe } from "./probe/index.js";
import { interpreterBase, type QemuCpu, requireTarget, TARGETS } from "./targets.js";
import { entryFromRegister, execResult } from "./test-builders.js";

/** What the machine around a {@link fakeKernel} has besides the table: interpreter files, native cpus, how probes run. */
export interface FakeMachine {
  /**
   * Interpreter files that exist. A file's name says what it runs: `qemu-<cpu>` or `qemu-<cpu>-static` runs the
   * programs of every target whose emulator that is (`interpreterBase`); anything else runs none. By default every
   * target's `/usr/bin/qemu-<cpu>-static`.
   */
  readonly present?: Iterable<string>;
  /** Probes run chrooted, where no interpreter path resolves (root's local driver, the container drivers): default. */
  readonly chroot?: boolean;
  /** Cpus whose emulator is broken: their probes crash (SIGSEGV). */
  readonly broken?: Iterable<QemuCpu>;
  /** Cpus this machine runs itself: no emulation needed, and registering an entry that claims them is refused. */
  readonly native?: Iterable<QemuCpu>;
  /** binfmt_misc switched on as a whole (its `status`): default true. */
  readonly binfmtEnabled?: boolean;
}

/** A small model of binfmt_misc and the machine around it: what drivers read, write and run, in memory. */
export interface FakeKernel {
  readonly binfmtEnabled: boolean;
  /** Interpreter files on the machine now. */
  readonly present: ReadonlySet<string>;
  /** The table, each entry as the kernel prints it (`flags: OCF` for registered `CF`). */
  entries(): BinfmtEntry[];
  /** The entry the kernel hands a program of `cpu` to (its probe): the newest enabled one whose magic matches. */
  handlerOf(cpu: QemuCpu): BinfmtEntry | undefined;
  /** Runs `cpu`'s probe as a driver does, judged by the drivers' own verdict. */
  probe(cpu: QemuCpu): ProbeResult;
  /** An interpreter file found for `cpu` (what inspection reports), if any. */
  interpreterFor(cpu: QemuCpu): string | undefined;
  /** Writes `register`; throws the QusError a driver would report. */
  register(registration: Registration): void;
  /** Writes `1` to an entry. */
  enable(name: string): void;
  /** Writes `-1` to an entry; an absent one counts as removed. */
  remove(name: string): void;
  /** Carries out steps as a driver does (removals, enable, registration); a step stops at its first failure. */
  apply(steps: readonly PlanStep[]): Map<QemuCpu, QusError>;
}

/** The kernel zero-fills the 256 bytes it reads of a file before matching magics against them (BINPRM_BUF_SIZE). */
const BINPRM_BUF_SIZE = 256;

/** Which emulator an interpreter file is, by its name (`qemu-aarch64` for `/usr/bin/qemu-aarch64-static`). */
export function emulatorOf(path: string): string | undefined {
  const file = path.slice(path.lastIndexOf("/") + 1).replace(/-static$/, "");
  return file.startsWith("qemu-") ? file : undefined;
}

/** The first bytes of `cpu`'s probe as the kernel reads them, zero-filled. */
function header(cpu: QemuCpu): Uint8Array {
  const buffer = new Uint8Array(BINPRM_BUF_SIZE);
  buffer.set(buildProbe(cpu).subarray(0, BINPRM_BUF_SIZE));
  return buffer;
}

/** Whether an interpreter file runs `cpu`'s programs, by its name. */
const runs = (interpreter: string, cpu: QemuCpu) => emulatorOf(interpreter) === interpreterBase(requireTarget(cpu));

const refuse = (code: QusErrorCode, message: string) =>
  new QusError(code, message, { hint: "refused by the fake kernel, as the real one refuses it" });

/** The machine of a {@link fakeKernel}, its defaults filled in. */
interface Machine {
  readonly present: Set<string>;
  readonly chroot: boolean;
  readonly broken: ReadonlySet<QemuCpu>;
  readonly native: ReadonlySet<QemuCpu>;
  readonly binfmtEnabled: boolean;
}

/** How `cpu`'s probe ends when `handler` claims it (or nothing does), judged by the drivers' own verdict. */
function probeRun(machine: Machine, cpu: QemuCpu, handler: BinfmtEntry | undefined): ProbeResult {
  const ran = (result: Partial<ExecResult>) => describeProbeRun(execResult(result), machine.chroot);
  // Nothing claims it: the C library retries it with the probe folder's /bin/sh (or the host runs it itself).
  if (!handler) return machine.native.has(cpu) ? ran({}) : ran({ exitCode: NO_HANDLER_STATUS });
  // Without F the kernel opens the interpreter by its path at each exec: inside the chroot no path resolves.
  if (!handler.flags.includes("F") && (machine.chroot || !machine.present.has(handler.interpreter))) {
    return machine.chroot
      ? ran({ exitCode: 127, stderr: `chroot: failed to run command '/${cpu}': No such file or directory` })
      : ran({ exitCode: undefined, startError: "ENOENT" });
  }
  // With F the kernel opened the file at registration and keeps it, whatever happened to the path since.
  if (!runs(handler.interpreter, cpu)) {
    const name = emulatorOf(handler.interpreter) ?? handler.interpreter;
    return ran({ exitCode: 1, stderr: `${name}: /${cpu}: Invalid ELF image for this architecture` });
  }
  if (machine.broken.has(cpu)) return ran({ exitCode: undefined, signal: "SIGSEGV" });
  return ran({});
}

/** Writes `register` into `table` as the kernel does, or throws the QusError a driver would report. */
function registerIn(table: BinfmtEntry[], machine: Machine, registration: Registration): void {
  const text = renderRegister(registration);
  // The kernel opens an F entry's interpreter before anything else (open_exec): ENOENT when it is not there.
  if (registration.flags.includes("F") && !machine.present.has(registration.interpreter)) {
    throw refuse("QUS_INTERPRETER_MISSING", `the interpreter ${registration.interpreter} does not exist`);
  }
  // The drivers' last-moment guard: never an entry that sends the host's own programs through QEMU.
  const hostCpu = [...machine.native].find((cpu) => matchesHeader(registration, header(cpu)));
  if (hostCpu) throw refuse("QUS_HOST_MATCH", `refusing to register ${registration.name}: it claims ${hostCpu}`);
  const existing = table.find((entry) => entry.name === registration.name);
  if (existing) {
    // EEXIST: the local driver counts the same entry, registered by a racing run, as success.
    if (registeredMeanwhile(existing, registration) === "same") return;
    throw refuse("QUS_KERNEL_WRITE_FAILED", `the kernel refused ${registration.name}: EEXIST`);
  }
  table.push(entryFromRegister(registration.name, text));
}

/** A kernel holding `entries` (oldest first, as registered) on a machine as {@link FakeMachine} describes it. */
export function fakeKernel(entries: readonly BinfmtEntry[], options: FakeMachine = {}): FakeKernel {
  const table = [...entries];
  const machine: Machine = {
    present: new Set(options.present ?? TARGETS.map((t) => `/usr/bin/${interpreterBase(t)}-static`)),
    chroot: options.chroot ?? true,
    broken: new Set(options.broken ?? []),
    native: new Set(options.native ?? []),
    binfmtEnabled: options.binfmtEnabled ?? true,
  };
  const { present, binfmtEnabled } = machine;
  const at = (name: string) => table.findIndex((entry) => entry.name === name);

  const kernel: FakeKernel = {
    binfmtEnabled,
    present,
    entries: () => [...table],
    // The kernel adds each registration at the head of its list and takes the first match.
    handlerOf: (cpu) => claimantsOf([...table].reverse(), header(cpu))[0],
    interpreterFor: (cpu) => [...present].find((path) => runs(path, cpu)),
    probe: (cpu) => probeRun(machine, cpu, binfmtEnabled ? kernel.handlerOf(cpu) : undefined),
    register: (registration) => registerIn(table, machine, registration),
    enable(name) {
      const index = at(name);
      const entry = table[index];
      if (!entry) throw refuse("QUS_KERNEL_WRITE_FAILED", `the kernel refused ${name}: ENOENT`);
      table[index] = { ...entry, enabled: true };
    },
    remove(name) {
      const index = at(name);
      if (index >= 0) table.splice(index, 1);
    },
    apply(steps) {
      const failures = new Map<QemuCpu, QusError>();
      for (const step of steps) {
        try {
          for (const name of step.remove) kernel.remove(name);
          if (step.enable) kernel.enable(step.enable);
          if (step.register) kernel.register(step.register);
        } catch (error) {
          if (!isQusError(error)) throw error;
          failures.set(step.target.cpu, error);
        }
      }
      return failures;
    },
  };
  return kernel;
}
