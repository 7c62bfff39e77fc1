import { randomBytes } from "node:crypto";
import { QusError } from "@qus/core";
import { type ExecResult, isBuilderCreateRace, isRefusedBuilderOptions } from "@qus/core/runner";
import type { BootstrapRun } from "./bootstrap-run.js";
import { refreshNodes } from "./builder-lifecycle.js";
import { type BuildxCli, createArgs, lastError } from "./buildx-command.js";
import { type Created, isOwn, removeCreated, withRemoval } from "./created-builder.js";

/** What {@link prepareBuilder} did: the builder it created, whether it restarted the nodes, what to tell. */
export interface Prepared {
  readonly created?: Created;
  readonly refreshed: boolean;
  readonly warnings: string[];
}

/**
 * Readies a docker-container builder: creates it when it does not exist (its one node named for this run), or
 * restarts an existing one's nodes when binfmt changed or `replace` asked. The docker driver's needs nothing.
 */
export async function prepareBuilder(run: BootstrapRun, exists: boolean, binfmtChanged: boolean): Promise<Prepared> {
  const { cli, name, driver, options, timeouts } = run;
  if (driver === "docker") return { refreshed: false, warnings: [] };
  if (!exists) return createBuilder(run);
  const warnings: string[] = [];
  if ((options.driverOpts ?? []).length > 0) {
    warnings.push(
      `builder ${name} exists: --driver-opt not applied (they apply to a builder qus creates; to recreate it, run ${cli.display(["rm", name])} first)`,
    );
  }
  if (binfmtChanged || options.replace) {
    // It booted before binfmt was fixed: its platform detection and emulator choice are stale. A restart, never a
    // removal: the builder and its settings are the user's.
    await refreshNodes(cli, name, timeouts);
    return { refreshed: true, warnings };
  }
  return { refreshed: false, warnings };
}

async function createBuilder(run: BootstrapRun): Promise<Prepared> {
  const { cli, name, driver, options, timeouts } = run;
  const warnings: string[] = [];
  // Its one node gets a name of this run's own: the removal after a failure checks it, so a builder of the same
  // name made in the meantime by someone else (another qus run, the user) is never removed.
  const node = `${name}-qus-${randomBytes(4).toString("hex")}`;
  const args = createArgs(name, driver, options.driverOpts ?? [], false, node);
  // Twice at most: another process's builder of this name may come and go between our look-up and our create.
  for (let attempt = 1; ; attempt++) {
    let result: ExecResult;
    try {
      result = await cli.run(args, { timeoutMs: timeouts.create });
    } catch (error) {
      // Killed at its timeout, the create may or may not have been saved: if it was (the builder has our node),
      // it is ours to remove.
      const removal = await removeCreated(cli, { name, node }, timeouts);
      if (removal.outcome === "removed" || removal.outcome === "failed")
        throw withRemoval(error, removal, { name, node }, cli);
      throw error;
    }
    if (result.exitCode === 0) return { created: { name, node }, refreshed: false, warnings };
    // Another process may have created it between our look-up and our create (buildx then says "existing
    // instance", or with --node "did you mean to append?"): use it, it is not ours to remove.
    const now = await cli.run(["inspect", name], { timeoutMs: timeouts.inspect });
    if (now.exitCode === 0) {
      if (isOwn(now.stdout, { name, node })) return { created: { name, node }, refreshed: false, warnings };
      warnings.push(`builder ${name} was created by another process meanwhile: used as it is`);
      return { refreshed: false, warnings };
    }
    // It is gone again (that process removed it): create it once more, else say what buildx said.
    if (attempt >= 2 || !isBuilderCreateRace(result)) {
      throw createFailure(cli, name, args, result);
    }
  }
}

function createFailure(cli: BuildxCli, name: string, args: readonly string[], result: ExecResult): QusError {
  const detail = lastError(result);
  // At create, buildx only parses and checks the driver options: a failure there is the options' (bad input).
  if (isRefusedBuilderOptions(detail)) {
    return new QusError("QUS_USAGE", `buildx refused the driver options of builder ${name}: ${detail}`, {
      hint: `check the --driver-opt values (key=value, as buildx's docker-container driver takes them); the command was: ${cli.display(args)}`,
    });
  }
  return new QusError("QUS_EXEC_FAILED", `could not create builder ${name}: ${detail}`, {
    hint: `see what buildx says: ${cli.display(args)}`,
  });
}
