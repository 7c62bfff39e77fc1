import {
  createContainerDriver,
  ensure,
  isQusError,
  QusError,
  type QusErrorCode,
  type Report,
  type Target,
} from "@qus/core";
import { createDockerCliRunner, type EngineCommand, type Exec } from "@qus/core/runner";
import { canonicalPlatform, formatCommand } from "@qus/core/toolkit";
import type { BootstrapOptions } from "./bootstrap-options.js";
import type { NodeBinfmt } from "./bootstrap-report.js";
import type { BootstrapRun } from "./bootstrap-run.js";
import { seconds } from "./buildx-command.js";
import type { EngineAnswer } from "./engine.js";
import type { BuilderInfo } from "./inspect.js";
import { ensureNodeEngines, otherNodeEngines } from "./node-engines.js";

/** binfmt on the builder's kernels, once ensured: the reports, and what they mean for the steps after. */
export interface EnsuredBinfmt {
  /** Core's report on the builder's kernel. */
  readonly binfmt: Report;
  /** The same on the engine behind each other node. */
  readonly nodeBinfmt: readonly NodeBinfmt[];
  /** The CPUs that run natively on the builder's kernel. */
  readonly native: ReadonlySet<string>;
  /** Some entry was registered, replaced or enabled: a builder that booted before it has stale platforms. */
  readonly binfmtChanged: boolean;
  /** binfmt is ok on every other node's engine. */
  readonly nodesOk: boolean;
  /** Commands killed at their timeouts while ensuring binfmt. */
  readonly warnings: readonly string[];
}

/**
 * Ensures binfmt on the builder's kernel (on the run's engine seam, which has the engine check's answer), then on the
 * engine behind each other node of an existing docker-container builder (reached through `exec`).
 */
export async function ensureBinfmtEverywhere(
  run: BootstrapRun,
  engine: EngineAnswer,
  exec: Exec,
  existing: BuilderInfo | undefined,
): Promise<EnsuredBinfmt> {
  const { options, requested, driver, timeouts, cli } = run;
  const timedOut: string[] = [];
  const binfmt = await ensureBinfmt(options, requested, cli.engine.withExec(watchTimeouts(exec, timedOut)), timedOut);
  // Each other node's engine too, once the main one is done (two names of one engine then find it ensured).
  const nodeBinfmt =
    existing && driver === "docker-container"
      ? await ensureNodeEngines(
          options,
          await otherNodeEngines(existing.nodes, engine, exec, timeouts.info),
          requested,
          exec,
        )
      : [];
  const native = new Set<string>(binfmt.platforms.filter((p) => p.action === "native").map((p) => p.cpu));
  const binfmtChanged = [binfmt, ...nodeBinfmt.flatMap((node) => node.report ?? [])].some((report) =>
    report.platforms.some((p) => ["register", "replace", "enable"].includes(p.action)),
  );
  const nodesOk = nodeBinfmt.every((node) => node.report?.ok === true);
  const warnings = timedOut.map((what) => `while ensuring binfmt, ${what}`);
  return { binfmt, nodeBinfmt, native, binfmtChanged, nodesOk, warnings };
}

async function ensureBinfmt(
  options: BootstrapOptions,
  requested: readonly { target: Target }[],
  command: EngineCommand,
  timedOut: readonly string[],
): Promise<Report> {
  try {
    return await ensure({
      platforms: [...new Set(requested.map((item) => canonicalPlatform(item.target)))],
      replace: options.replace,
      dryRun: options.dryRun,
      driver:
        options.binfmtDriver ??
        createContainerDriver({
          runner: createDockerCliRunner({ context: options.context, exec: command.exec, command }),
          image: options.image,
          privileged: options.privileged,
        }),
    });
  } catch (error) {
    if (timedOut.length === 0) throw error;
    // A command killed at its timeout is the cause: say so, keeping a more precise code when core gave one.
    const code: QusErrorCode =
      isQusError(error) && error.code !== "QUS_EXEC_FAILED" && error.kind !== "operation" ? error.code : "QUS_TIMEOUT";
    const message = isQusError(error) || error instanceof Error ? error.message : String(error);
    throw new QusError(code, `${message} (${timedOut.join("; ")})`, {
      hint: isQusError(error) ? error.hint : undefined,
      cause: error,
    });
  }
}

/** An exec that notes each command killed at its timeout, quoted, for the error or warning that follows. */
function watchTimeouts(exec: Exec, timedOut: string[]): Exec {
  return async (file, args, execOptions) => {
    const result = await exec(file, args, execOptions);
    if (result.timedOut) {
      const limit = execOptions?.timeoutMs === undefined ? "its timeout" : seconds(execOptions.timeoutMs);
      timedOut.push(`${formatCommand([file, ...args])} did not finish within ${limit} and was killed`);
    }
    return result;
  };
}
