import type { BinfmtEntry } from "../binfmt/entry.js";
import type { Inspection, InterpreterFile, ProbeResult } from "../drivers/types.js";
import type { QusError } from "../errors.js";
import { canonicalPlatform, type Target } from "../targets.js";
import type { EntryState, PlatformReport, Report, ReportAction } from "./model.js";
import { commandIn, describeFailure, type FailureContext, failureHint, QUS_VOICE } from "./probe-words.js";

/** The state of an entry, or `absent`. */
export function entryState(entry: BinfmtEntry | undefined): EntryState {
  if (!entry) return "absent";
  return entry.enabled ? "enabled" : "disabled";
}

/** What is known of one platform at the end of a command. */
export interface PlatformFacts {
  readonly target: Target;
  readonly action: ReportAction;
  readonly before: EntryState;
  /** The platform's entry after the command; `native` when it needs none. */
  readonly after: BinfmtEntry | "native" | undefined;
  readonly probe?: ProbeResult;
  readonly qemuVersions: ReadonlyMap<string, string>;
  /** Interpreter found on the machine, used when no entry names one. */
  readonly foundInterpreter?: string;
  readonly reasons: readonly string[];
  /** The entry that claims the architecture when it is not the platform's own (`after`). */
  readonly claimant?: BinfmtEntry;
  /** What entries' interpreter files are, by path. */
  readonly interpreterFiles?: ReadonlyMap<string, InterpreterFile>;
  readonly error?: QusError;
  /** What to do, when the command knows better than its action's usual hint (an error's hint still wins). */
  readonly hint?: string;
  /** ok needs a passing probe (false for dry runs and `status`, which only read). */
  readonly requireVerified: boolean;
}

const INSTALL_HINT =
  "install QEMU's static user-mode emulators (Debian/Ubuntu: apt-get install qemu-user-static) or pass --qemu-path DIR";

/** Builds a platform's report line: state after, verification, interpreter, version, hint and verdict. */
export function describePlatform(facts: PlatformFacts): PlatformReport {
  const { target, action, probe } = facts;
  const base = {
    platform: canonicalPlatform(target),
    cpu: target.cpu,
    before: facts.before,
    action,
    reasons: facts.reasons,
  };
  if (facts.after === "native") {
    const error = facts.error && { code: facts.error.code, message: facts.error.message };
    return { ...base, after: "native", verified: null, hint: facts.error?.hint, error, ok: error === undefined };
  }
  const entry = facts.after;
  // An entry known by name only has an empty interpreter: show the one found instead.
  const interpreter = entry?.interpreter || facts.foundInterpreter;
  const failed = facts.error !== undefined || action === "conflict" || action === "missing-interpreter";
  const claimant = facts.claimant ?? entry;
  const failure = probe ? failureOf(probe, claimant, facts, interpreter) : unreachableInterpreter(claimant, facts);
  const verifiedOk = probe?.ok === true && failure === undefined;
  const ok =
    !failed &&
    failure === undefined &&
    (facts.requireVerified ? verifiedOk : action !== "none" || entry?.enabled === true);
  return {
    ...base,
    after: entryState(entry),
    verified: probe ? verifiedOk : null,
    verification: failure ? describeFailure(failure) : undefined,
    failure: failure?.failure,
    interpreter,
    flags: entry?.flags,
    qemuVersion: interpreter ? facts.qemuVersions.get(interpreter) : undefined,
    hint: hintFor(facts, ok, failure),
    error: facts.error ? { code: facts.error.code, message: facts.error.message } : undefined,
    ok,
  };
}

/**
 * The probe's failure in its context; also a probe that ran only outside a chroot (without root) through an entry
 * without the F flag: the entry's flags are readable without root, and without F it fails inside containers.
 */
function failureOf(
  probe: ProbeResult,
  claimant: BinfmtEntry | undefined,
  facts: PlatformFacts,
  interpreter: string | undefined,
): FailureContext | undefined {
  const entry = claimant && {
    name: claimant.name,
    interpreter: claimant.interpreter || interpreter || "",
    flags: claimant.flags,
    enabled: claimant.enabled,
  };
  const context = {
    platform: canonicalPlatform(facts.target),
    entry,
    chrooted: probe.chrooted,
    interpreterFile: entry?.interpreter ? facts.interpreterFiles?.get(entry.interpreter) : undefined,
    qemuVersion: entry?.interpreter ? facts.qemuVersions.get(entry.interpreter) : undefined,
  };
  if (!probe.ok) return { ...context, failure: probe.failure ?? "exit-status", detail: probe.detail };
  const readable = claimant !== undefined && !claimant.opaque;
  if (probe.chrooted === false && readable && !claimant.flags.includes("F"))
    return { ...context, failure: "interpreter-unreachable" };
  return undefined;
}

/**
 * Without a probe (status, dry runs): an entry without the F flag whose interpreter file is gone fails every program
 * it claims, since the kernel opens the interpreter at each exec then. With F the kernel holds the file open from
 * registration, so a file removed since does not matter.
 */
function unreachableInterpreter(claimant: BinfmtEntry | undefined, facts: PlatformFacts): FailureContext | undefined {
  if (!claimant?.enabled || claimant.opaque || !claimant.interpreter || claimant.flags.includes("F")) return undefined;
  if (facts.interpreterFiles?.get(claimant.interpreter) !== "missing") return undefined;
  const { name, interpreter, flags, enabled } = claimant;
  return {
    failure: "interpreter-unreachable",
    platform: canonicalPlatform(facts.target),
    entry: { name, interpreter, flags, enabled },
    interpreterFile: "missing",
  };
}

function hintFor(facts: PlatformFacts, ok: boolean, failure: FailureContext | undefined): string | undefined {
  if (facts.error) return facts.error.hint;
  if (facts.hint) return facts.hint;
  const platform = canonicalPlatform(facts.target);
  if (facts.action === "conflict")
    return `replace the differing entry with QEMU's: ${commandIn(QUS_VOICE, ["ensure", "--replace", "--platforms", platform])}`;
  if (facts.action === "missing-interpreter") return INSTALL_HINT;
  if (ok) return undefined;
  if (failure) return failureHint(failure);
  if (facts.after === "native") return undefined;
  if (facts.after === undefined) return `register it: ${commandIn(QUS_VOICE, ["ensure", "--platforms", platform])}`;
  if (!facts.after.enabled) return `enable it: ${commandIn(QUS_VOICE, ["ensure", "--platforms", platform])}`;
  return undefined;
}

/** The report of a command: what the driver saw, each platform, and the verdict over all of them. */
export function buildReport(
  command: Report["command"],
  driverName: string,
  inspection: Inspection,
  platforms: readonly PlatformReport[],
  dryRun: boolean,
): Report {
  return {
    schemaVersion: 1,
    command,
    driver: driverName,
    driverDetails: inspection.details,
    dryRun,
    ok: platforms.every((platform) => platform.ok),
    kernel: inspection.kernel,
    platforms,
    warnings: inspection.warnings,
  };
}
