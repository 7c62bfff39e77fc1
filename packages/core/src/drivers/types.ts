import type { BinfmtEntry } from "../binfmt/entry.js";
import type { QusError } from "../errors.js";
import type { Interpreter, PlanStep } from "../plan.js";
import type { QemuCpu, Target } from "../targets.js";

/** What running a target's probe showed. */
export interface ProbeResult {
  readonly ok: boolean;
  /** Why it failed: exec format error, interpreter not reachable, killed by a signal. */
  readonly reason?: string;
}

/** The kernel a driver reaches. */
export interface KernelInfo {
  readonly release: string;
  readonly binfmtMounted: boolean;
  /** qus mounted binfmt_misc during this run. */
  readonly mountedByQus: boolean;
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
  readonly interpreters: ReadonlyMap<QemuCpu, Interpreter>;
  /** Probe results of targets some entry claimed at inspection. */
  readonly probes: ReadonlyMap<QemuCpu, ProbeResult>;
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
