import type { KernelInfo, ProbeFailureKind } from "../drivers/types.js";
import type { QusErrorCode } from "../errors.js";
import type { PlanAction } from "../plan.js";

/**
 * State of a platform's entry: `native` needs none; `unknown` where the reporter runs containers but cannot read the
 * kernel's table (the Dagger engine's verify).
 */
export type EntryState = "native" | "absent" | "enabled" | "disabled" | "unknown";

/**
 * How an engine ran a platform's programs, where a reporter can tell. `native`: the engine's own architecture.
 * `host-kernel`: the engine handed them to its host's kernel (binfmt_misc, or a compat mode such as i386 on x86_64).
 * `engine-qemu`: the engine wrapped them in its own bundled QEMU. `unknown`: the engine's answer said neither.
 */
export type RunsThrough = "native" | "host-kernel" | "engine-qemu" | "unknown";

/** What qus did (or, in a dry run, would do) for a platform. */
export type ReportAction = PlanAction | "remove" | "none";

/** The result for one platform. Part of the stable JSON shape (schemaVersion 1). */
export interface PlatformReport {
  /** Canonical OCI platform, e.g. `linux/arm64`. */
  readonly platform: string;
  /** QEMU cpu name, e.g. `aarch64`. */
  readonly cpu: string;
  readonly before: EntryState;
  readonly action: ReportAction;
  readonly after: EntryState;
  /** Whether a probe of this architecture ran; null when not checked. */
  readonly verified: boolean | null;
  /** Why verification failed, in words. */
  readonly verification?: string;
  /** Why verification failed, as a stable kind: no-handler | interpreter-unreachable | crashed | timeout | exit-status. */
  readonly failure?: ProbeFailureKind;
  readonly interpreter?: string;
  /** Flags as the kernel shows them after the run. */
  readonly flags?: string;
  readonly qemuVersion?: string;
  /** What the user can do next. */
  readonly hint?: string;
  /** Why the action was chosen. */
  readonly reasons: readonly string[];
  readonly error?: { readonly code: QusErrorCode; readonly message: string };
  /** How the engine ran the probe, where the reporter can tell (the Dagger engine's verify). */
  readonly through?: RunsThrough;
  /** This platform is as asked: native, or registered and (unless a dry run or status) verified. */
  readonly ok: boolean;
}

/** A file `persist` writes (or would write). */
export interface PersistedFile {
  readonly path: string;
  readonly content: string;
  readonly written: boolean;
}

/** The result of one qus command. `schemaVersion` changes only when the shape does. */
export interface Report {
  readonly schemaVersion: 1;
  readonly command: "ensure" | "status" | "verify" | "remove" | "persist";
  readonly driver: string;
  /** How the driver reached the kernel: helper image, its QEMU version, privilege used, engine endpoint. */
  readonly driverDetails?: Readonly<Record<string, string>>;
  readonly dryRun: boolean;
  /** Every platform is ok. */
  readonly ok: boolean;
  readonly kernel: KernelInfo;
  readonly platforms: readonly PlatformReport[];
  readonly warnings: readonly string[];
  readonly files?: readonly PersistedFile[];
}
