import type { BinfmtEntry } from "../binfmt/entry.js";
import type { Inspection, ProbeResult } from "../drivers/types.js";
import type { QusError } from "../errors.js";
import { canonicalPlatform, type Target } from "../targets.js";
import type { EntryState, PlatformReport, Report, ReportAction } from "./model.js";

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
  readonly error?: QusError;
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
    return { ...base, after: "native", verified: null, ok: true };
  }
  const entry = facts.after;
  // An entry known by name only has an empty interpreter: show the one found instead.
  const interpreter = entry?.interpreter || facts.foundInterpreter;
  const failed = facts.error !== undefined || action === "conflict" || action === "missing-interpreter";
  const verifiedOk = probe?.ok === true;
  const ok = !failed && (facts.requireVerified ? verifiedOk : action !== "none" || entry?.enabled === true);
  return {
    ...base,
    after: entryState(entry),
    verified: probe ? probe.ok : null,
    verification: probe?.reason,
    interpreter,
    flags: entry?.flags,
    qemuVersion: interpreter ? facts.qemuVersions.get(interpreter) : undefined,
    hint: hintFor(facts, ok),
    error: facts.error ? { code: facts.error.code, message: facts.error.message } : undefined,
    ok,
  };
}

function hintFor(facts: PlatformFacts, ok: boolean): string | undefined {
  if (facts.error) return facts.error.hint;
  if (facts.action === "conflict") return "pass --replace to replace the differing entry with QEMU's";
  if (facts.action === "missing-interpreter") return INSTALL_HINT;
  if (ok) return undefined;
  const reason = facts.probe?.reason ?? "";
  if (reason.startsWith("ENOENT")) return "re-register with the F flag: qus ensure --replace";
  if (reason.startsWith("exec format error"))
    return `register it: qus ensure --platforms ${canonicalPlatform(facts.target)}`;
  if (reason.startsWith("killed") || reason.startsWith("timed out"))
    return "this QEMU build cannot run the probe: try a newer qemu-user-static";
  if (facts.after === "native") return undefined;
  if (facts.after === undefined) return `register it: qus ensure --platforms ${canonicalPlatform(facts.target)}`;
  if (!facts.after.enabled) return `enable it: qus ensure --platforms ${canonicalPlatform(facts.target)}`;
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
