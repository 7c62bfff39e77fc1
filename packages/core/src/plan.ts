import { type BinfmtEntry, entryPattern } from "./binfmt/entry.js";
import { decodeEscaped } from "./binfmt/escape.js";
import { sameFlags } from "./binfmt/flags.js";
import { type MagicPattern, matchesHeader, patternsOverlap } from "./binfmt/match.js";
import type { Registration } from "./binfmt/register.js";
import { buildProbe } from "./probe/index.js";
import { canonicalPlatform, entryName, interpreterBase, type QemuCpu, TARGETS, type Target } from "./targets.js";

/** A QEMU interpreter found on the machine. */
export interface Interpreter {
  readonly path: string;
  /** Statically linked: needed for the F flag to work inside containers and chroots. */
  readonly static: boolean;
}

/**
 * What qus will do for one target:
 * - `native`: runs without emulation here; nothing is registered.
 * - `ok`: the entry is present, enabled and as wanted.
 * - `register`: no entry; register one.
 * - `enable`: the entry is as wanted but disabled.
 * - `replace`: an entry differs or another entry claims the same binaries, and the user asked to replace it.
 * - `conflict`: as `replace`, but the user did not ask; left in place and reported.
 * - `missing-interpreter`: a change is needed and no QEMU interpreter was found.
 */
export type PlanAction = "native" | "ok" | "register" | "enable" | "replace" | "conflict" | "missing-interpreter";

/** One target's step: its action and the kernel writes that carry it out. */
export interface PlanStep {
  readonly target: Target;
  readonly action: PlanAction;
  /** qus's own entry for the target as found, if any. */
  readonly existing?: BinfmtEntry;
  /** Entries to remove first: a differing own entry, other entries in the way. */
  readonly remove: readonly string[];
  /** Entry to enable (write `1`). */
  readonly enable?: string;
  /** Entry to register. */
  readonly register?: Registration;
  /** Why the step is what it is, for the report. */
  readonly reasons: readonly string[];
  /** What else the entries in the way serve, which removing them stops (a shared `be64-all` entry). */
  readonly alsoServed?: readonly string[];
}

/** Everything the pure planner needs to know. */
export interface PlanInput {
  readonly targets: readonly Target[];
  readonly entries: readonly BinfmtEntry[];
  readonly native: ReadonlySet<QemuCpu>;
  readonly interpreters: ReadonlyMap<QemuCpu, Interpreter>;
  readonly flags: string;
  readonly replace: boolean;
  /** Probe results from inspection: decide about entries whose contents cannot be read. */
  readonly probes?: ReadonlyMap<QemuCpu, { readonly ok: boolean }>;
}

/** Magic pattern of a target. */
export function targetPattern(target: Target): MagicPattern {
  return { offset: 0, magic: decodeEscaped(target.magic), mask: decodeEscaped(target.mask) };
}

/** The registration qus wants for a target with a given interpreter and flags. */
export function wantedRegistration(target: Target, interpreter: string, flags: string): Registration {
  return { name: entryName(target), ...targetPattern(target), interpreter, flags };
}

/** Plans each target: a pure function of what is wanted and what the kernel has. */
export function plan(input: PlanInput): PlanStep[] {
  const steps = input.targets.map((target) => planTarget(target, input));
  // A name one step registers anew is removed by that step alone: another step, applied after it, would remove the
  // new entry (`qemu-ppc64` found with i386's magic is in the way of i386 and is ppc64's own to replace).
  const registered = new Set(steps.flatMap((step) => (step.register ? [step.register.name] : [])));
  return steps.map((step) => {
    const remove = step.remove.filter((name) => !registered.has(name) || step.register?.name === name);
    return remove.length === step.remove.length ? step : { ...step, remove };
  });
}

function planTarget(target: Target, input: PlanInput): PlanStep {
  const name = entryName(target);
  if (input.native.has(target.cpu)) {
    return { target, action: "native", remove: [], reasons: ["runs natively on this machine"] };
  }
  const pattern = targetPattern(target);
  const existing = input.entries.find((entry) => entry.name === name);
  const others = input.entries.filter(
    (entry) => entry.name !== name && entry.enabled && overlaps(pattern, entryPattern(entry)),
  );
  const interpreter = input.interpreters.get(target.cpu);
  const notOurs = existing ? notQusReasons(target, existing) : [];
  // Another program's entry of qus's name differs, whatever else it matches: ensure and remove agree on it.
  const differences = !existing
    ? []
    : existing.opaque
      ? opaqueDifferences(input.probes?.get(target.cpu)?.ok)
      : [
          ...(notOurs.length > 0 ? [notQusLine(existing, notOurs)] : []),
          ...entryDifferences(existing, pattern, input.flags, interpreter?.path),
        ];
  const reasons = [
    ...differences,
    ...others.map((entry) => `entry ${entry.name} (${entry.interpreter}) also claims these binaries`),
  ];
  const alsoServed = others.flatMap((entry) => alsoServedBy(entry, target));
  const base = { target, existing };

  if (!existing && others.length === 0) {
    if (!interpreter) return missingInterpreter(base, reasons);
    return {
      ...base,
      action: "register",
      remove: [],
      register: wantedRegistration(target, interpreter.path, input.flags),
      reasons,
    };
  }
  if (!existing || differences.length > 0 || others.length > 0) {
    if (!input.replace) return { ...base, action: "conflict", remove: [], reasons: [...reasons, ...alsoServed] };
    const needsRegistration = !existing || differences.length > 0;
    if (needsRegistration && !interpreter) return missingInterpreter(base, reasons);
    return {
      ...base,
      action: "replace",
      alsoServed: alsoServed.length > 0 ? alsoServed : undefined,
      remove: [...(existing && needsRegistration ? [name] : []), ...others.map((entry) => entry.name)],
      register:
        needsRegistration && interpreter ? wantedRegistration(target, interpreter.path, input.flags) : undefined,
      enable: existing && !needsRegistration && !existing.enabled ? name : undefined,
      reasons,
    };
  }
  if (!existing.enabled) return { ...base, action: "enable", remove: [], enable: name, reasons: ["entry is disabled"] };
  return { ...base, action: "ok", remove: [], reasons: [] };
}

/**
 * Why an entry under qus's name for a target is not qus's own, or nothing when it is. The one ownership rule of
 * ensure and remove: qus's entry has QEMU's magic and mask for the target, and a QEMU emulator of the target as its
 * interpreter (`qemu-<cpu>-static` or `qemu-<cpu>`, in any folder: `--qemu-path` and `--qemu-from` pick others).
 * Flags do not count (`--flags` picks them). Another installer's entry of that name (Debian's, with
 * `/usr/libexec/qemu-binfmt/aarch64-binfmt-P`) is not qus's. An entry known by name only counts by its name.
 */
export function notQusReasons(target: Target, entry: BinfmtEntry): string[] {
  if (entry.opaque) return [];
  const reasons: string[] = [];
  if (!samePattern(entry, targetPattern(target)))
    reasons.push(`its magic or mask is not QEMU's for ${canonicalPlatform(target)}`);
  const base = interpreterBase(target);
  const file = entry.interpreter.slice(entry.interpreter.lastIndexOf("/") + 1);
  if (file !== base && file !== `${base}-static`) {
    reasons.push(`its interpreter ${entry.interpreter || "(none)"} is not QEMU's ${base}-static or ${base}`);
  }
  return reasons;
}

/** One sentence: the entry is another program's, and why. */
export function notQusLine(entry: BinfmtEntry, reasons: readonly string[]): string {
  return `${entry.name} is not qus's (another program registered it): ${reasons.join(", and ")}`;
}

/** Other targets an entry in the way also claims: removing it stops them too, which the user must hear. */
function alsoServedBy(entry: BinfmtEntry, target: Target): string[] {
  const pattern = entryPattern(entry);
  if (!pattern) return [];
  const served = TARGETS.filter(
    (other) => other.cpu !== target.cpu && matchesHeader(pattern, buildProbe(other.cpu)),
  ).map(canonicalPlatform);
  if (served.length === 0) return [];
  return [
    `${entry.name} (${entry.interpreter}) also serves ${served.join(", ")}: replacing it for ${canonicalPlatform(target)} stops them`,
  ];
}

// An entry known by name only is as wanted exactly when its probe ran.
function opaqueDifferences(verified: boolean | undefined): string[] {
  return verified ? [] : ["its contents cannot be read here and its probe failed"];
}

function missingInterpreter(base: { target: Target; existing?: BinfmtEntry }, reasons: string[]): PlanStep {
  const emulator = interpreterBase(base.target);
  const serves = emulator === `qemu-${base.target.cpu}` ? "" : ` (it runs ${base.target.cpu} programs)`;
  const reason = `no ${emulator} interpreter found${serves}`;
  return { ...base, action: "missing-interpreter", remove: [], reasons: [...reasons, reason] };
}

function overlaps(pattern: MagicPattern, other: MagicPattern | undefined): boolean {
  return other !== undefined && patternsOverlap(pattern, other);
}

/** How an entry differs from the wanted pattern, flags and interpreter (any interpreter when undefined); empty when as wanted. */
export function entryDifferences(
  entry: BinfmtEntry,
  pattern: MagicPattern,
  flags: string,
  interpreter: string | undefined,
): string[] {
  const differences: string[] = [];
  if (!samePattern(entry, pattern)) differences.push("magic or mask differs from QEMU's");
  if (!sameFlags(entry.flags, flags)) {
    const missingF = flags.includes("F") && !entry.flags.includes("F");
    differences.push(
      `flags ${entry.flags || "(none)"} instead of ${flags}${missingF ? ": without F it fails inside containers and chroots" : ""}`,
    );
  }
  if (interpreter !== undefined && entry.interpreter !== interpreter) {
    differences.push(`interpreter ${entry.interpreter} instead of ${interpreter}`);
  }
  return differences;
}

// An entry without a mask compares every bit: as a mask of 0xff bytes.
function samePattern(entry: BinfmtEntry, pattern: MagicPattern): boolean {
  return (
    entry.offset === pattern.offset &&
    entry.magic !== undefined &&
    sameBytes(entry.magic, pattern.magic) &&
    sameBytes(entry.mask ?? new Uint8Array(entry.magic.length).fill(0xff), pattern.mask ?? new Uint8Array())
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Whether a step changes the kernel. */
export function changesKernel(step: PlanStep): boolean {
  return step.remove.length > 0 || step.enable !== undefined || step.register !== undefined;
}
