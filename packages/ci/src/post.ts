import { remove } from "@qus/core";
import { type Exec, engineCommand, execProcess } from "@qus/core/runner";
import { kernelDriver } from "./kernel-driver.js";
import type { StepOptions, StepState } from "./step.js";
import { runQusAsRoot } from "./sudo.js";

/** What the post step removed, and what it could not. */
export interface PostOutcome {
  /** binfmt_misc entries removed (`qemu-<cpu>`). */
  readonly removedEntries: readonly string[];
  /** The builder removed, if any. */
  readonly removedBuilder?: string;
  /** What could not be removed, each with the command that removes it. */
  readonly problems: readonly string[];
}

/**
 * The post step with `cleanup: true`: removes the entries the main step registered and the builder it created,
 * nothing else (entries that were there before stay, as does a builder it reused). Does nothing without `cleanup`.
 */
export async function runPost(state: StepState, options: StepOptions): Promise<PostOutcome> {
  if (!state.cleanup) return { removedEntries: [], problems: [] };
  const exec = options.exec ?? execProcess;
  const problems: string[] = [];
  let removedBuilder: string | undefined;
  if (state.createdBuilder) {
    const docker = engineCommand({ exec });
    const argv = ["rm", "--", state.createdBuilder];
    const outcome = await docker.buildx(argv, { timeoutMs: 60_000 });
    if (outcome.kind === "ran" && outcome.result.exitCode === 0) removedBuilder = state.createdBuilder;
    else problems.push(`could not remove the builder ${state.createdBuilder}: run ${docker.displayBuildx(argv)}`);
  }
  const removedEntries: string[] = [];
  if (state.registered.length > 0) {
    const platforms = state.registered.join(",");
    try {
      const report = await removeEntries(state, options, exec, platforms);
      for (const platform of report.platforms) {
        if (platform.action === "remove" && platform.ok) removedEntries.push(`qemu-${platform.cpu}`);
        else if (!platform.ok)
          problems.push(`could not remove qemu-${platform.cpu}: ${platform.error?.message ?? "unknown"}`);
      }
    } catch (error) {
      problems.push(
        `could not remove the entries of ${platforms}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return { removedEntries, problems, ...(removedBuilder ? { removedBuilder } : {}) };
}

function removeEntries(state: StepState, options: StepOptions, exec: Exec, platforms: string) {
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (state.kernel === "local" && !isRoot) {
    return runQusAsRoot(exec, options.cliPath, ["remove", "--platforms", platforms, "--json"]);
  }
  return remove({ platforms, driver: kernelDriver(state.kernel, exec, state.image) });
}
