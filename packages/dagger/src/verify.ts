import type { Client, Platform } from "@dagger.io/dagger";
import { resolvePlatforms, type Target } from "@qus/core";
import { buildExitProgram, buildProbe, type ContainerOutcome, describeProbeRun } from "@qus/core/runner";
import { canonicalPlatform, type RunsThrough } from "@qus/core/toolkit";
import { engineInfo } from "./engine.js";
import {
  type EnginePlatformResult,
  type EngineReport,
  engineReportOf,
  moduleVoice,
  nativeOnEngine,
  probedOnEngine,
} from "./engine-report.js";
import { execToEnd } from "./exec.js";
import { type ProgramFiles, workdirProgramFiles } from "./program-file.js";

// The report's model is core's (engine-report.ts); these names stay where the module's users found them.
export type { EnginePlatformResult, EngineReport, RunsThrough };

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
  const voice = moduleVoice(options.call);
  const requireHost = options.requireHost === true;

  async function run(target: Target, path: string, program: Uint8Array): Promise<ContainerOutcome> {
    const file = await files(program);
    const container = client
      .container({ platform: canonicalPlatform(target) as Platform })
      .withFile(path, file, { permissions: 0o755 });
    return execToEnd(container, [path], { timeoutMs });
  }

  async function one(target: Target): Promise<EnginePlatformResult> {
    const native = nativeOnEngine(target, engine);
    if (native) return native;
    const [probe, direct] = await Promise.all([
      run(target, PROBE_PATH, buildProbe(target.cpu)),
      engine.cpu ? run(target, DIRECT_PATH, buildExitProgram(engine.cpu, DIRECT_STATUS)) : undefined,
    ]);
    const verdict = { probe: describeProbeRun(probe, true), through: throughOf(direct), requireHost };
    return probedOnEngine(target, verdict, voice);
  }

  return engineReportOf(engine, await Promise.all(targets.map(one)));
}

/** How the engine ran its own program in a foreign container. */
export function throughOf(direct: ContainerOutcome | undefined): RunsThrough {
  // Not started, timed out or killed: says nothing about the wrapper.
  if (direct?.kind !== "ran" || direct.signal) return "unknown";
  if (direct.exitCode === DIRECT_STATUS) return "host-kernel";
  // It ran and failed: QEMU refuses an ELF of another machine ("Invalid ELF image for this architecture", status 1).
  return direct.exitCode > 0 ? "engine-qemu" : "unknown";
}
