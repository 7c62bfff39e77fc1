import type { PlatformReport, Report, Target } from "@qus/core";
import type { EngineInfo } from "@qus/core/runner";
import { assembleReport, nativePlatformReport, ownArchitecture } from "@qus/core/toolkit";

/** The targets an engine runs itself (core's native rule: its own architecture), with the reason a report gives. */
export function nativeOnEngine(target: Target, engine: EngineInfo): string | undefined {
  return ownArchitecture(engine.cpu, target.cpu, "the engine's", engine.architecture)?.reason;
}

/** What this process knows of one engine, for its report. */
export interface EngineFacts {
  readonly engine: EngineInfo;
  /** The runner's name, the report's driver. */
  readonly driver: string;
  /** Platforms verified on this engine earlier in this process, by QEMU cpu. */
  readonly verified: ReadonlyMap<string, PlatformReport>;
  /** How the last helper reached the engine (image, QEMU version, privilege). */
  readonly details: Readonly<Record<string, string>>;
}

/**
 * One core report for every platform asked: this run's line for a platform (when it ran), else the one verified
 * earlier in this process, else the native line of the engine's own architecture.
 */
export function engineReport(asked: readonly Target[], facts: EngineFacts, report: Report | undefined): Report {
  const platforms = asked.map(
    (target) =>
      report?.platforms.find((platform) => platform.cpu === target.cpu) ??
      facts.verified.get(target.cpu) ??
      nativePlatformReport(target, nativeOnEngine(target, facts.engine) ?? "the engine's own architecture"),
  );
  return assembleReport({
    command: "ensure",
    driver: facts.driver,
    driverDetails: { ...facts.details, endpoint: facts.engine.endpoint },
    kernel: report?.kernel,
    platforms,
    warnings: report?.warnings,
  });
}
