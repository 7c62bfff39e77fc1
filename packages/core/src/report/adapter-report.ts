import type { KernelInfo } from "../drivers/types.js";
import { canonicalPlatform, type Target } from "../targets.js";
import type { PlatformReport, Report } from "./model.js";
import { whyNotOk } from "./why-not.js";

/**
 * Report pieces for adapters that report per platform without one driver run covering them all (testcontainers'
 * per-engine memory, the Dagger engine's verify): they build core's model here instead of a shape of their own.
 */

/** A platform that needs no emulation, and why (see `ownArchitecture`). */
export function nativePlatformReport(target: Target, reason: string): PlatformReport {
  return {
    platform: canonicalPlatform(target),
    cpu: target.cpu,
    before: "native",
    action: "native",
    after: "native",
    verified: null,
    reasons: [reason],
    ok: true,
  };
}

/** What the adapter knows of a command it reports. */
export interface ReportParts {
  readonly command: Report["command"];
  readonly driver: string;
  readonly driverDetails?: Readonly<Record<string, string>>;
  readonly platforms: readonly PlatformReport[];
  /** The kernel, when a driver read it; unknown (an empty release) otherwise. */
  readonly kernel?: KernelInfo;
  readonly warnings?: readonly string[];
  readonly dryRun?: boolean;
}

/** The kernel of a report whose reporter did not read one. */
export const UNREAD_KERNEL: KernelInfo = { release: "", binfmtMounted: true, mountedByQus: false };

/** A report from its parts, with core's verdict: ok when every platform is. */
export function assembleReport(parts: ReportParts): Report {
  return {
    schemaVersion: 1,
    command: parts.command,
    driver: parts.driver,
    ...(parts.driverDetails ? { driverDetails: parts.driverDetails } : {}),
    dryRun: parts.dryRun ?? false,
    ok: parts.platforms.every((platform) => platform.ok),
    kernel: parts.kernel ?? UNREAD_KERNEL,
    platforms: parts.platforms,
    warnings: parts.warnings ?? [],
  };
}

/** A platform that does not run, in one line, with what to do: what an adapter's error or annotation shows. */
export interface PlatformProblem {
  /** Canonical OCI platform. */
  readonly platform: string;
  readonly message: string;
  readonly hint?: string;
}

/** The platforms of a report that are not ok, each with its reason and hint as the report words them. */
export function platformProblems(report: Pick<Report, "platforms">): PlatformProblem[] {
  return report.platforms
    .filter((platform) => !platform.ok)
    .map((platform) => ({
      platform: platform.platform,
      message: whyNotOk(platform),
      ...(platform.hint ? { hint: platform.hint } : {}),
    }));
}

/** Whether a platform runs as asked and was shown to: verified by a probe, or native. */
export function runsProven(platform: PlatformReport): boolean {
  return platform.ok && (platform.verified === true || platform.before === "native");
}
