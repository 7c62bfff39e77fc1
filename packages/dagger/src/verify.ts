import type { Client, Platform } from "@dagger.io/dagger";
import { resolvePlatforms, type Target } from "@qus/core";
import {
  buildExitProgram,
  buildProbe,
  describeProbeRun,
  type ExecResult,
  type ProbeFailureKind,
} from "@qus/core/runner";
import { canonicalPlatform } from "@qus/core/toolkit";
import { engineInfo } from "./engine.js";
import { execToEnd } from "./exec.js";
import { type ProgramFiles, workdirProgramFiles } from "./program-file.js";

/**
 * How the engine ran a platform's programs. `native`: the engine's own architecture. `host-kernel`: the engine
 * handed them to its host's kernel (binfmt_misc, or a compat mode such as i386 on x86_64). `engine-qemu`: the
 * engine wrapped them in its own bundled QEMU, which it does for platforms its host could not run when the
 * engine started. `unknown`: the engine's answer said neither.
 */
export type RunsThrough = "native" | "host-kernel" | "engine-qemu" | "unknown";

/** One platform, as the engine ran it. Part of the JSON shape (schemaVersion 1). */
export interface EnginePlatformResult {
  /** Canonical OCI platform (`linux/arm64`). */
  readonly platform: string;
  /** QEMU cpu (`aarch64`). */
  readonly cpu: string;
  /** qus's probe of this architecture ran and exited 0 in a container of this platform. */
  readonly ok: boolean;
  readonly through: RunsThrough;
  /** Why the probe failed, as a stable kind (core's). */
  readonly failure?: ProbeFailureKind;
  /** How the probe failed, or a warning about how it ran, in words. */
  readonly reason?: string;
  /** What to do next. */
  readonly hint?: string;
}

/** What `verify` found on one engine. Part of the JSON shape (schemaVersion 1). */
export interface EngineReport {
  readonly schemaVersion: 1;
  readonly engine: { readonly platform: string; readonly version: string };
  /** Every platform ran (and, with `requireHost`, through the host's kernel). */
  readonly ok: boolean;
  readonly platforms: readonly EnginePlatformResult[];
  /** Some platform runs through the engine's bundled QEMU: restarting the engine would make it use the host's. */
  readonly restartAdvised: boolean;
}

/** Options of {@link verifyOnEngine}. */
export interface VerifyOnEngineOptions {
  /** Platforms, as users write them (`linux/arm64`, `riscv64`). */
  readonly platforms: string | readonly string[];
  /** A platform that runs only through the engine's bundled QEMU counts as failed. */
  readonly requireHost?: boolean;
  /** How long each probe may take, the container's start included: 60 s. */
  readonly timeoutMs?: number;
  readonly programFiles?: ProgramFiles;
  /** How hints name the module's functions: `this module's` by default. */
  readonly call?: string;
}

/** Exit status of the engine's own program run in a foreign container: it ran without the engine's QEMU. */
export const DIRECT_STATUS = 42;
const PROBE_PATH = "/qus-probe";
const DIRECT_PATH = "/qus-direct";

/**
 * Runs qus's probe of each platform as the only file of an empty container of that platform, where the engine's
 * builds run, with no privilege; and, beside it, a program of the engine's own architecture in the same kind of
 * container. When the engine wraps that platform's processes in its bundled QEMU, that program fails (QEMU will
 * not load it); when it hands them to the host's kernel, it runs and exits {@link DIRECT_STATUS}.
 */
export async function verifyOnEngine(client: Client, options: VerifyOnEngineOptions): Promise<EngineReport> {
  const targets = resolvePlatforms(options.platforms);
  const engine = await engineInfo(client);
  const files = options.programFiles ?? workdirProgramFiles(client);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const call = options.call ?? "this module's";

  async function run(target: Target, path: string, program: Uint8Array): Promise<ExecResult> {
    const file = await files(program);
    const container = client
      .container({ platform: canonicalPlatform(target) as Platform })
      .withFile(path, file, { permissions: 0o755 });
    return execToEnd(container, [path], { timeoutMs });
  }

  async function one(target: Target): Promise<EnginePlatformResult> {
    const platform = canonicalPlatform(target);
    if (target.cpu === engine.cpu) return { platform, cpu: target.cpu, ok: true, through: "native" };
    const [probe, direct] = await Promise.all([
      run(target, PROBE_PATH, buildProbe(target.cpu)),
      engine.cpu ? run(target, DIRECT_PATH, buildExitProgram(engine.cpu, DIRECT_STATUS)) : undefined,
    ]);
    const through = throughOf(direct);
    const verdict = describeProbeRun(probe, true);
    const requireHost = options.requireHost === true;
    if (verdict.ok) {
      if (through !== "engine-qemu") return { platform, cpu: target.cpu, ok: true, through };
      return {
        platform,
        cpu: target.cpu,
        ok: !requireHost,
        through,
        reason: `runs through the Dagger engine's own bundled QEMU, not the host's: when the engine started, its host could not run ${platform}`,
        hint: restartHint(call, platform),
      };
    }
    return {
      platform,
      cpu: target.cpu,
      ok: false,
      through,
      failure: verdict.failure,
      reason:
        through === "engine-qemu"
          ? `the engine's bundled QEMU failed: ${verdict.reason ?? "the probe failed"}`
          : (verdict.reason ?? "the probe failed"),
      hint: through === "engine-qemu" ? restartHint(call, platform) : hostHint(call, platform, verdict.failure),
    };
  }

  const platforms = await Promise.all(targets.map(one));
  return {
    schemaVersion: 1,
    engine: { platform: platformOf(engine.architecture), version: engine.version },
    ok: platforms.every((platform) => platform.ok),
    platforms,
    restartAdvised: platforms.some((platform) => platform.through === "engine-qemu"),
  };
}

/** How the engine ran its own program in a foreign container. */
export function throughOf(direct: ExecResult | undefined): RunsThrough {
  if (!direct || direct.timedOut) return "unknown";
  if (direct.exitCode === DIRECT_STATUS) return "host-kernel";
  // QEMU refuses an ELF of another machine ("Invalid ELF image for this architecture") and exits 1; 125 and up
  // are the engine's own refusals and signals, which say nothing about the wrapper.
  if (/invalid elf|elf image/i.test(direct.stderr)) return "engine-qemu";
  if (direct.exitCode !== undefined && direct.exitCode > 0 && direct.exitCode < 125) return "engine-qemu";
  return "unknown";
}

function platformOf(architecture: string): string {
  return `linux/${architecture}`;
}

function restartHint(call: string, platform: string): string {
  return `register ${platform} on the engine's host (${call} ensure --platforms ${platform}), then restart the engine: it reads the host's binfmt_misc only when it starts`;
}

function hostHint(call: string, platform: string, failure: ProbeFailureKind | undefined): string {
  switch (failure) {
    case "timeout":
    case "crashed":
      return `the host's emulator for ${platform} fails: replace it (${call} ensure --replace --platforms ${platform})`;
    case "interpreter-unreachable":
      return `the host's entry for ${platform} cannot reach its emulator inside containers (no F flag, or a dynamically linked QEMU): re-register it (${call} ensure --replace --platforms ${platform})`;
    case "exit-status":
      return `the engine could not run the probe; ${call} status --platforms ${platform} shows the host's entry`;
    default:
      return `register it on the engine's host: ${call} ensure --platforms ${platform}`;
  }
}
