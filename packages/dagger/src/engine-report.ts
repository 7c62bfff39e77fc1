import type { PlatformReport, Report, Target } from "@qus/core";
import type { EngineInfo, ProbeResult } from "@qus/core/runner";
import {
  assembleReport,
  canonicalPlatform,
  commandIn,
  failureHint,
  type HintVoice,
  nativePlatformReport,
  ownArchitecture,
  type RunsThrough,
} from "@qus/core/toolkit";

/** One platform, as the engine ran it: core's platform report, with how the engine ran it and a note in words. */
export interface EnginePlatformResult extends PlatformReport {
  readonly through: RunsThrough;
  /** How the probe failed, or a warning about how it ran, in words. */
  readonly reason?: string;
}

/** What `verify` found on one engine: core's report (schemaVersion 1), with the engine and its restart advice. */
export interface EngineReport extends Report {
  readonly engine: { readonly platform: string; readonly version: string };
  readonly platforms: readonly EnginePlatformResult[];
  /** Some platform runs through the engine's bundled QEMU: restarting the engine would make it use the host's. */
  readonly restartAdvised: boolean;
}

/** How the module's hints name its functions: `this module's ensure --platforms ...`; it cannot pick a QEMU build. */
export function moduleVoice(call = "this module's"): HintVoice {
  return { call, picksQemu: false };
}

/** The engine's own platform, by core's native rule: native, nothing run; undefined for every other platform. */
export function nativeOnEngine(target: Target, engine: EngineInfo): EnginePlatformResult | undefined {
  const decision = ownArchitecture(engine.cpu, target.cpu, "the engine's", engine.architecture);
  return decision && { ...nativePlatformReport(target, decision.reason ?? ""), through: "native" };
}

/** What the engine showed for a foreign platform: its probe's verdict and how the engine ran it. */
export interface EngineRun {
  readonly probe: ProbeResult;
  readonly through: RunsThrough;
  /** A platform that runs only through the engine's bundled QEMU counts as failed. */
  readonly requireHost: boolean;
}

/**
 * A foreign platform's line: the probe's failure in core's words (its kind, its sentence, core's hint in the module's
 * voice); the engine's bundled QEMU is the one case core has no words for, as only a Dagger engine has one.
 * Nothing of the host's entry is known from inside the engine: before and after are `unknown`.
 */
export function probedOnEngine(target: Target, run: EngineRun, voice: HintVoice): EnginePlatformResult {
  const platform = canonicalPlatform(target);
  const { probe, through } = run;
  const base = {
    platform,
    cpu: target.cpu,
    before: "unknown",
    action: "none",
    after: "unknown",
    reasons: [],
    through,
  } as const;
  if (probe.ok) {
    if (through !== "engine-qemu") return { ...base, verified: true, ok: true };
    return {
      ...base,
      verified: true,
      ok: !run.requireHost,
      reason: `runs through the Dagger engine's own bundled QEMU, not the host's: when the engine started, its host could not run ${platform}`,
      hint: restartHint(voice, platform),
    };
  }
  const failure = probe.failure ?? "exit-status";
  const said = probe.reason ?? "the probe failed";
  return {
    ...base,
    verified: false,
    ok: false,
    failure,
    verification: said,
    reason: through === "engine-qemu" ? `the engine's bundled QEMU failed: ${said}` : said,
    hint:
      through === "engine-qemu"
        ? restartHint(voice, platform)
        : failureHint({ failure, detail: probe.detail, platform }, voice),
  };
}

function restartHint(voice: HintVoice, platform: string): string {
  return `register ${platform} on the engine's host (${commandIn(voice, ["ensure", "--platforms", platform])}), then restart the engine: it reads the host's binfmt_misc only when it starts`;
}

/** The engine's report: core's verdict over the platforms, the engine named, restart advised where it matters. */
export function engineReportOf(engine: EngineInfo, platforms: readonly EnginePlatformResult[]): EngineReport {
  const report = assembleReport({
    command: "verify",
    driver: "dagger",
    driverDetails: { endpoint: engine.endpoint },
    platforms,
  });
  return {
    ...report,
    engine: { platform: `linux/${engine.architecture}`, version: engine.version },
    platforms,
    restartAdvised: platforms.some((platform) => platform.through === "engine-qemu"),
  };
}
