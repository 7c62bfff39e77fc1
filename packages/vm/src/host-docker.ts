import { type EngineCommand, type Exec, engineCommand, execProcess } from "@qus/core/runner";
import { judgeStep, type StepOptions, type StepRun } from "./run-step.js";
import { findProgram, requireProgram } from "./tools.js";

// The docker client of this machine, on core's engine seam: every docker command qus vm runs goes through it.

/** Bound of a docker command that sets none (as a step's default). */
const DOCKER_TIMEOUT_MS = 60_000;

/** The docker client on PATH (or the sbin folders), on core's engine seam; undefined when the host has none. */
export function hostDocker(exec: Exec = execProcess): EngineCommand | undefined {
  const program = findProgram(engineCommand().program);
  return program === undefined ? undefined : engineCommand({ program, exec });
}

/** As {@link hostDocker}; QUS_VM_TOOL_MISSING naming the package when the host has none. */
export function requireHostDocker(options: StepOptions): EngineCommand {
  return engineCommand({ program: requireProgram(engineCommand().program), exec: options.exec ?? execProcess });
}

/** Runs one docker command as a step of `qus vm` ({@link judgeStep}): its stdout, or the step's QusError. */
export async function dockerStep(docker: EngineCommand, args: readonly string[], run: StepRun): Promise<string> {
  const outcome = await docker.run(args, { ...run, timeoutMs: run.timeoutMs ?? DOCKER_TIMEOUT_MS });
  return judgeStep([docker.program, ...docker.global, ...args], outcome.result, run);
}
