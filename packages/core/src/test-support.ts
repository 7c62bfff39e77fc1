/**
 * Fakes and builders shared by @qus/core's unit tests (not part of the public API): one place for an entry as the
 * kernel prints it, a process result, a driver that answers from a table, and a QusError caught from a call.
 */
import { type BinfmtEntry, claimedBy, parseEntry } from "./binfmt/entry.js";
import { decodeEscaped } from "./binfmt/escape.js";
import { renderRegister } from "./binfmt/register.js";
import type { ApplyOutcome, Driver, Inspection, InspectRequest, RemoveOutcome } from "./drivers/types.js";
import { isQusError, type QusError } from "./errors.js";
import type { ExecResult } from "./exec.js";
import { type PlanStep, wantedRegistration } from "./plan.js";
import { buildProbe } from "./probe/index.js";
import { type QemuCpu, requireTarget, type Target } from "./targets.js";

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

/** An entry as the kernel prints one registered from a register string (`:name:M::magic:mask:interp:flags`). */
export function entryFromRegister(name: string, register: string, fields: EntryFields = {}): BinfmtEntry {
  const [, , , , magic = "", mask = "", interpreter = "", flags = ""] = register.split(":");
  const hex = (escaped: string) => Buffer.from(decodeEscaped(escaped)).toString("hex");
  const text = [
    fields.enabled === false ? "disabled" : "enabled",
    `interpreter ${fields.interpreter ?? interpreter}`,
    `flags: ${fields.flags ?? flags}`,
    "offset 0",
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

/** What a {@link fakeDriver} saw and answers. */
export interface FakeDriver extends Driver {
  readonly requests: InspectRequest[];
  readonly applied: PlanStep[][];
  readonly removed: string[][];
}

/**
 * A driver over a table of entries held in memory: inspect reports them (every claimed cpu's probe passing unless
 * `failing` names it), apply registers/removes/enables in the table, remove takes entries out.
 */
export function fakeDriver(
  entries: BinfmtEntry[],
  inspection: Partial<Inspection> = {},
  failing: ReadonlySet<QemuCpu> = new Set(),
): FakeDriver {
  const table = [...entries];
  const requests: InspectRequest[] = [];
  const applied: PlanStep[][] = [];
  const removed: string[][] = [];
  const probe = (cpus: readonly QemuCpu[]) =>
    new Map(cpus.map((cpu) => [cpu, failing.has(cpu) ? { ok: false, failure: "no-handler" as const } : { ok: true }]));
  const claimed = (cpus: readonly QemuCpu[]) => cpus.filter((cpu) => claimedBy(table, buildProbe(cpu)));
  const take = (name: string) => {
    const at = table.findIndex((entry) => entry.name === name);
    if (at >= 0) table.splice(at, 1);
  };
  return {
    name: "fake",
    requests,
    applied,
    removed,
    async inspect(request) {
      requests.push(request);
      const cpus = request.targets.map((candidate) => candidate.cpu);
      return {
        kernel: { release: "6.1.0-test", binfmtMounted: true, binfmtEnabled: true, mountedByQus: false },
        entries: [...table],
        native: new Map(),
        interpreters: new Map(cpus.map((cpu) => [cpu, { path: `/usr/bin/qemu-${cpu}-static`, static: true }])),
        probes: request.verify ? probe(claimed(cpus)) : new Map(),
        qemuVersions: new Map(cpus.map((cpu) => [`/usr/bin/qemu-${cpu}-static`, `qemu-${cpu} version 7.2.22`])),
        warnings: [],
        ...inspection,
      };
    },
    async apply(steps, verify): Promise<ApplyOutcome> {
      applied.push([...steps]);
      for (const step of steps) {
        for (const name of step.remove) take(name);
        if (step.register) table.push(entryFromRegister(step.register.name, renderRegister(step.register)));
      }
      return {
        entries: [...table],
        failures: new Map(),
        probes: probe(verify.map((t) => t.cpu)),
        qemuVersions: new Map(),
      };
    },
    async remove(names): Promise<RemoveOutcome> {
      removed.push([...names]);
      for (const name of names) take(name);
      return { removed: [...names], failures: new Map(), entries: [...table] };
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
