/**
 * Fakes and builders shared by @qus/core's unit tests (not part of the public API): one place for an entry as the
 * kernel prints it, a process result, a small model of binfmt_misc and a driver over it, and a QusError caught from
 * a call.
 */
import { type BinfmtEntry, claimantsOf } from "./binfmt/entry.js";
import type { ApplyOutcome, Driver, Inspection, InspectRequest, RemoveOutcome } from "./drivers/types.js";
import { isQusError, type QusError } from "./errors.js";
import type { PlanStep } from "./plan.js";
import { buildProbe } from "./probe/index.js";
import type { QemuCpu } from "./targets.js";

export { type EntryFields, entryFromRegister, execResult, qemuEntry, target } from "./test-builders.js";

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

import { emulatorOf, type FakeKernel, type FakeMachine, fakeKernel } from "./test-kernel.js";

export { emulatorOf, type FakeKernel, type FakeMachine, fakeKernel };

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
      return { ...inspectFake(kernel, native, request, versions), ...inspection };
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

/** What inspect reports of a {@link fakeKernel}: its table, interpreters and files, and the claimed targets' probes. */
function inspectFake(
  kernel: FakeKernel,
  native: ReadonlyMap<QemuCpu, string>,
  request: InspectRequest,
  versions: (paths: Iterable<string>) => Map<string, string>,
): Inspection {
  const present = (path: string) => kernel.present.has(path);
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
  };
}
