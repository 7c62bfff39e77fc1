/**
 * Fakes and builders shared by @qus/core's unit tests (not part of the public API): one place for an entry as the
 * kernel prints it, a process result, a small model of binfmt_misc and a driver over it, and a QusError caught from
 * a call.
 */
import { type BinfmtEntry, claimantsOf, parseEntry } from "./binfmt/entry.js";
import { decodeEscaped } from "./binfmt/escape.js";
import { effectiveFlags } from "./binfmt/flags.js";
import { matchesHeader } from "./binfmt/match.js";
import { type Registration, renderRegister } from "./binfmt/register.js";
import { registeredMeanwhile } from "./drivers/native-policy.js";
import { describeProbeRun, NO_HANDLER_STATUS } from "./drivers/probe-verdict.js";
import type { ApplyOutcome, Driver, Inspection, InspectRequest, ProbeResult, RemoveOutcome } from "./drivers/types.js";
import { isQusError, QusError, type QusErrorCode } from "./errors.js";
import type { ExecResult } from "./exec.js";
import { type PlanStep, wantedRegistration } from "./plan.js";
import { buildProbe } from "./probe/index.js";
import { interpreterBase, type QemuCpu, requireTarget, TARGETS, type Target } from "./targets.js";

/** A target by QEMU cpu name. */
export const target = (cpu: QemuCpu): Target => requireTarget(cpu);

/** How a process ended: exit 0 with no output unless told otherwise. */
export function execResult(fields: Partial<ExecResult> = {}): ExecResult {
  return {
    exitCode: 0,
    signal: undefined,
    stdout: "",
    stderr: "",
    startError: undefined,
    timedOut: false,
    ...fields,
  };
}

/** Fields of an entry that tests vary. */
export interface EntryFields {
  readonly enabled?: boolean;
  readonly interpreter?: string;
  /** As the kernel prints them (`OCF`). */
  readonly flags?: string;
}

/** QEMU's entry for a cpu as the kernel prints it, registered as qus wants it unless told otherwise. */
export function qemuEntry(cpu: QemuCpu, fields: EntryFields = {}): BinfmtEntry {
  const { enabled = true, interpreter = `/usr/bin/qemu-${cpu}-static`, flags = "OCF" } = fields;
  return entryFromRegister(`qemu-${cpu}`, renderRegister(wantedRegistration(target(cpu), interpreter, "FC")), {
    enabled,
    flags,
    interpreter,
  });
}

/**
 * An entry as the kernel prints one registered from a register string (`:name:M:offset:magic:mask:interp:flags`):
 * flags in the kernel's order with C's implied O (`CF` prints as `OCF`), unless `fields` says otherwise.
 */
export function entryFromRegister(name: string, register: string, fields: EntryFields = {}): BinfmtEntry {
  const [, , , offset = "", magic = "", mask = "", interpreter = "", flags = ""] = register.split(":");
  const hex = (escaped: string) => Buffer.from(decodeEscaped(escaped)).toString("hex");
  const text = [
    fields.enabled === false ? "disabled" : "enabled",
    `interpreter ${fields.interpreter ?? interpreter}`,
    `flags: ${fields.flags ?? effectiveFlags(flags)}`,
    `offset ${offset || "0"}`,
    `magic ${hex(magic)}`,
    ...(mask ? [`mask ${hex(mask)}`] : []),
  ].join("\n");
  return parseEntry(name, `${text}\n`);
}

/** The QusError a promise rejects with; fails the test when it resolves or rejects with something else. */
export async function rejection(promise: Promise<unknown>): Promise<QusError> {
  const error = await promise.then(
    () => new Error("expected a QusError, the promise resolved"),
    (reason: unknown) => reason,
  );
  if (!isQusError(error)) throw error instanceof Error ? error : new Error(`expected a QusError, got ${String(error)}`);
  return error;
}

/** The QusError a call throws (or its promise rejects with). */
export function caught(action: () => unknown): Promise<QusError> {
  return rejection(Promise.resolve().then(action));
}

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

/** A kernel holding `entries` (oldest first, as registered) on a machine as {@link FakeMachine} describes it. */
export function fakeKernel(entries: readonly BinfmtEntry[], machine: FakeMachine = {}): FakeKernel {
  const table = [...entries];
  const present = new Set(machine.present ?? TARGETS.map((t) => `/usr/bin/${interpreterBase(t)}-static`));
  const chroot = machine.chroot ?? true;
  const broken = new Set(machine.broken ?? []);
  const native = new Set(machine.native ?? []);
  const binfmtEnabled = machine.binfmtEnabled ?? true;
  const header = (cpu: QemuCpu) => {
    const buffer = new Uint8Array(BINPRM_BUF_SIZE);
    buffer.set(buildProbe(cpu).subarray(0, BINPRM_BUF_SIZE));
    return buffer;
  };
  const runs = (interpreter: string, cpu: QemuCpu) => emulatorOf(interpreter) === interpreterBase(target(cpu));
  const at = (name: string) => table.findIndex((entry) => entry.name === name);
  const refuse = (code: QusErrorCode, message: string) =>
    new QusError(code, message, { hint: "refused by the fake kernel, as the real one refuses it" });

  const kernel: FakeKernel = {
    binfmtEnabled,
    present,
    entries: () => [...table],
    // The kernel adds each registration at the head of its list and takes the first match.
    handlerOf: (cpu) => claimantsOf([...table].reverse(), header(cpu))[0],
    interpreterFor: (cpu) => [...present].find((path) => runs(path, cpu)),
    probe(cpu) {
      const ran = (result: Partial<ExecResult>) => describeProbeRun(execResult(result), chroot);
      // Nothing claims it: the C library retries it with the probe folder's /bin/sh (or the host runs it itself).
      const handler = binfmtEnabled ? kernel.handlerOf(cpu) : undefined;
      if (!handler) return native.has(cpu) ? ran({}) : ran({ exitCode: NO_HANDLER_STATUS });
      // Without F the kernel opens the interpreter by its path at each exec: inside the chroot no path resolves.
      if (!handler.flags.includes("F") && (chroot || !present.has(handler.interpreter))) {
        return chroot
          ? ran({ exitCode: 127, stderr: `chroot: failed to run command '/${cpu}': No such file or directory` })
          : ran({ exitCode: undefined, startError: "ENOENT" });
      }
      // With F the kernel opened the file at registration and keeps it, whatever happened to the path since.
      if (!runs(handler.interpreter, cpu)) {
        const name = emulatorOf(handler.interpreter) ?? handler.interpreter;
        return ran({ exitCode: 1, stderr: `${name}: /${cpu}: Invalid ELF image for this architecture` });
      }
      if (broken.has(cpu)) return ran({ exitCode: undefined, signal: "SIGSEGV" });
      return ran({});
    },
    register(registration) {
      const text = renderRegister(registration);
      // The kernel opens an F entry's interpreter before anything else (open_exec): ENOENT when it is not there.
      if (registration.flags.includes("F") && !present.has(registration.interpreter)) {
        throw refuse("QUS_INTERPRETER_MISSING", `the interpreter ${registration.interpreter} does not exist`);
      }
      // The drivers' last-moment guard: never an entry that sends the host's own programs through QEMU.
      const hostCpu = [...native].find((cpu) => matchesHeader(registration, header(cpu)));
      if (hostCpu) throw refuse("QUS_HOST_MATCH", `refusing to register ${registration.name}: it claims ${hostCpu}`);
      const existing = table[at(registration.name)];
      if (existing) {
        // EEXIST: the local driver counts the same entry, registered by a racing run, as success.
        if (registeredMeanwhile(existing, registration) === "same") return;
        throw refuse("QUS_KERNEL_WRITE_FAILED", `the kernel refused ${registration.name}: EEXIST`);
      }
      table.push(entryFromRegister(registration.name, text));
    },
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

/** What a {@link fakeDriver} saw and answers. */
export interface FakeDriver extends Driver {
  readonly kernel: FakeKernel;
  readonly requests: InspectRequest[];
  readonly applied: PlanStep[][];
  readonly removed: string[][];
}

/**
 * A driver over a {@link fakeKernel}: inspect reads its table and runs the probes of claimed targets in it, apply
 * and remove write to it, as the local driver does to the real one. `inspection` fields override what inspect
 * reports (its `native` and `kernel.binfmtEnabled` also shape the kernel); `machine` describes the rest.
 */
export function fakeDriver(
  entries: BinfmtEntry[],
  inspection: Partial<Inspection> = {},
  machine: FakeMachine = {},
): FakeDriver {
  const native = inspection.native ?? new Map<QemuCpu, string>();
  const kernel = fakeKernel(entries, {
    native: native.keys(),
    binfmtEnabled: inspection.kernel?.binfmtEnabled,
    ...machine,
  });
  const requests: InspectRequest[] = [];
  const applied: PlanStep[][] = [];
  const removed: string[][] = [];
  const present = (path: string) => kernel.present.has(path);
  // `--version` answers from the files that are there.
  const versions = (paths: Iterable<string>) =>
    new Map(
      [...paths].flatMap((path) => {
        const emulator = present(path) ? emulatorOf(path) : undefined;
        return emulator ? [[path, `${emulator} version 7.2.22`] as const] : [];
      }),
    );
  return {
    name: "fake",
    kernel,
    requests,
    applied,
    removed,
    async inspect(request) {
      requests.push(request);
      const table = kernel.entries();
      const cpus = request.targets.map((candidate) => candidate.cpu);
      const claimants = (cpu: QemuCpu) => claimantsOf(table, buildProbe(cpu)).map((entry) => entry.name);
      const emulated = cpus.filter((cpu) => !native.has(cpu));
      const interpreters = new Map(
        emulated.flatMap((cpu) => {
          const path = kernel.interpreterFor(cpu);
          return path ? [[cpu, { path, static: true }] as const] : [];
        }),
      );
      return {
        kernel: {
          release: "6.1.0-test",
          binfmtMounted: true,
          binfmtEnabled: kernel.binfmtEnabled,
          mountedByQus: false,
        },
        entries: table,
        native,
        hostClaims: new Map(
          cpus.filter((cpu) => native.has(cpu) && claimants(cpu).length > 0).map((cpu) => [cpu, claimants(cpu)]),
        ),
        interpreters,
        interpreterFiles: new Map(
          table
            .filter((entry) => entry.interpreter)
            .map((entry) => [entry.interpreter, present(entry.interpreter) ? "static" : "missing"]),
        ),
        probes: request.verify
          ? new Map(emulated.filter((cpu) => claimants(cpu).length > 0).map((cpu) => [cpu, kernel.probe(cpu)]))
          : new Map(),
        // The claimants' own interpreters too, as the local driver asks them.
        qemuVersions: versions([
          ...[...interpreters.values()].map((found) => found.path),
          ...table.map((e) => e.interpreter),
        ]),
        warnings: [],
        ...inspection,
      };
    },
    async apply(steps, verify): Promise<ApplyOutcome> {
      applied.push([...steps]);
      const failures = kernel.apply(steps);
      const probed = verify.map((t) => t.cpu).filter((cpu) => !failures.has(cpu));
      return {
        entries: kernel.entries(),
        failures,
        probes: new Map(probed.map((cpu) => [cpu, kernel.probe(cpu)])),
        qemuVersions: versions(steps.flatMap((step) => (step.register ? [step.register.interpreter] : []))),
      };
    },
    async remove(names): Promise<RemoveOutcome> {
      removed.push([...names]);
      for (const name of names) kernel.remove(name);
      return { removed: [...names], failures: new Map(), entries: kernel.entries() };
    },
  };
}

/** Hand-built ELF files for tests: a header, program headers, and a PT_INTERP string when asked. */
export interface ElfFixture {
  readonly bits: 32 | 64;
  readonly little: boolean;
  readonly machine: number;
  readonly flags?: number;
  /** e_type: 2 executable (default), 3 position-independent, 1 relocatable. */
  readonly type?: number;
  readonly interpreter?: string;
  /** e_ident[EI_OSABI]. */
  readonly osabi?: number;
}

/** The bytes of an ELF file as {@link ElfFixture} describes it. */
export function elfFile(fixture: ElfFixture): Uint8Array {
  const { bits, little } = fixture;
  const headerSize = bits === 64 ? 64 : 52;
  const phentsize = bits === 64 ? 56 : 32;
  const phnum = fixture.interpreter === undefined ? 1 : 2;
  const interp = fixture.interpreter === undefined ? undefined : Buffer.from(`${fixture.interpreter}\0`);
  const interpOffset = headerSize + phentsize * phnum;
  const bytes = new Uint8Array(interpOffset + (interp?.length ?? 0));
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, bits === 64 ? 2 : 1, little ? 1 : 2, 1, fixture.osabi ?? 0]);
  view.setUint16(16, fixture.type ?? 2, little);
  view.setUint16(18, fixture.machine, little);
  view.setUint32(20, 1, little);
  if (bits === 64) {
    view.setBigUint64(32, BigInt(headerSize), little);
    view.setUint32(48, fixture.flags ?? 0, little);
    view.setUint16(52, headerSize, little);
    view.setUint16(54, phentsize, little);
    view.setUint16(56, phnum, little);
  } else {
    view.setUint32(28, headerSize, little);
    view.setUint32(36, fixture.flags ?? 0, little);
    view.setUint16(40, headerSize, little);
    view.setUint16(42, phentsize, little);
    view.setUint16(44, phnum, little);
  }
  // One PT_LOAD, then the PT_INTERP when asked.
  view.setUint32(headerSize, 1, little);
  if (interp) {
    const at = headerSize + phentsize;
    view.setUint32(at, 3, little);
    if (bits === 64) {
      view.setBigUint64(at + 8, BigInt(interpOffset), little);
      view.setBigUint64(at + 32, BigInt(interp.length), little);
    } else {
      view.setUint32(at + 4, interpOffset, little);
      view.setUint32(at + 16, interp.length, little);
    }
    bytes.set(interp, interpOffset);
  }
  return bytes;
}
