import type { BinfmtEntry } from "../binfmt/entry.js";
import type { QusError } from "../errors.js";
import type { Interpreter, PlanStep } from "../plan.js";
import type { QemuCpu, Target } from "../targets.js";

/**
 * Why a probe failed, as data:
 * - `no-handler`: exec format error, no entry took the program;
 * - `interpreter-unreachable`: ENOENT, the entry's interpreter (or its loader) is not reachable where it ran;
 * - `crashed`: killed by a signal;
 * - `timeout`: did not end within its time and was killed: the emulator hung;
 * - `exit-status`: ended with another status, or could not be started.
 */
export type ProbeFailureKind = "no-handler" | "interpreter-unreachable" | "crashed" | "timeout" | "exit-status";

/** What running a target's probe showed. */
export interface ProbeResult {
  readonly ok: boolean;
  /** Why it failed; words for it come from one place (report/probe-words). */
  readonly failure?: ProbeFailureKind;
  /** The signal, the exit status or the last line of stderr, when they say more. */
  readonly detail?: string;
  /** Run chrooted in an empty folder, as in a container; false when it ran directly (without root). */
  readonly chrooted?: boolean;
  /** One sentence: how it failed (from {@link ProbeFailureKind} and detail, for callers that only print). */
  readonly reason?: string;
}

/** What an interpreter's file is: a static or dynamic program, a script, something else, or missing. */
export type InterpreterFile = "static" | "dynamic" | "script" | "foreign" | "missing";

/** The kernel a driver reaches. */
export interface KernelInfo {
  readonly release: string;
  readonly binfmtMounted: boolean;
  /** binfmt_misc as a whole is switched on (its `status` reads `enabled`); false when switched off. */
  readonly binfmtEnabled?: boolean;
  /** qus mounted binfmt_misc during this run. */
  readonly mountedByQus: boolean;
  /**
   * Set when qus reached the table from a user namespace other than the host's (`uid map 0 1000 1`): that table is
   * either the host's, which it may not change, or private to the namespace (Linux 6.7+), never seen by the host.
   */
  readonly userNamespace?: string;
}

/** What a driver asks the kernel before planning. */
export interface InspectRequest {
  readonly targets: readonly Target[];
  /** Mount binfmt_misc when it is not mounted (false for read-only commands and dry runs). */
  readonly mount: boolean;
  /** Run the probes of targets that some entry claims, so a no-op needs no second pass. */
  readonly verify: boolean;
}

/** Everything the planner and the report need from the kernel and the machine. */
export interface Inspection {
  readonly kernel: KernelInfo;
  readonly entries: readonly BinfmtEntry[];
  /** Targets that need no emulation here, with the reason. */
  readonly native: ReadonlyMap<QemuCpu, string>;
  /** Native targets that entries claim nonetheless, sending the host's own programs through QEMU: their names. */
  readonly hostClaims?: ReadonlyMap<QemuCpu, readonly string[]>;
  readonly interpreters: ReadonlyMap<QemuCpu, Interpreter>;
  /** Probe results of targets some entry claimed at inspection. */
  readonly probes: ReadonlyMap<QemuCpu, ProbeResult>;
  /** What each claiming entry's interpreter file is, by path, where the driver can tell. */
  readonly interpreterFiles?: ReadonlyMap<string, InterpreterFile>;
  /** First line of `<interpreter> --version`, by interpreter path. */
  readonly qemuVersions: ReadonlyMap<string, string>;
  readonly warnings: readonly string[];
  /** Facts about how the kernel was reached (image, privilege, endpoint), for the report. */
  readonly details?: Readonly<Record<string, string>>;
}

/** What applying steps did: the table after, failures per target, and the probes run after the change. */
export interface ApplyOutcome {
  readonly entries: readonly BinfmtEntry[];
  readonly failures: ReadonlyMap<QemuCpu, QusError>;
  readonly probes: ReadonlyMap<QemuCpu, ProbeResult>;
  readonly qemuVersions: ReadonlyMap<string, string>;
}

/** What removing entries did. */
export interface RemoveOutcome {
  readonly removed: readonly string[];
  /** The table after removing, when the driver read it again. */
  readonly entries?: readonly BinfmtEntry[];
  readonly failures: ReadonlyMap<string, QusError>;
}

/** Where a kernel is reached: this machine (`local`) or the kernel behind a container engine. */
export interface Driver {
  /** Name shown in reports. */
  readonly name: string;
  /** Reads the kernel's table, finds interpreters, detects native targets, and probes claimed targets. */
  inspect(request: InspectRequest): Promise<Inspection>;
  /** Carries out the steps that change the kernel, then probes `verify`. */
  apply(steps: readonly PlanStep[], verify: readonly Target[]): Promise<ApplyOutcome>;
  /** Removes the named entries; names that are absent count as removed. */
  remove(names: readonly string[]): Promise<RemoveOutcome>;
}
