import { isQusError, QusError } from "@qus/core";
import { type BuildxCli, type BuildxTimeouts, isNoBuilder, tail } from "./buildx-command.js";
import { parseInspect } from "./inspect.js";

/** The builder this run created: its name, and the node name that tells it from a builder made by anyone else. */
export interface Created {
  readonly name: string;
  readonly node: string;
}

/** What became of the builder this run created, after the run failed. */
export type Removal =
  | { readonly outcome: "removed" }
  | { readonly outcome: "gone" }
  | { readonly outcome: "replaced" }
  | { readonly outcome: "failed"; readonly reason: string };

/**
 * Removes the builder this run created, if it still is the one this run created: its node carries this run's
 * name. One of the same name made meanwhile by someone else (they removed ours and made theirs) is left alone.
 */
export async function removeCreated(cli: BuildxCli, created: Created, timeouts: BuildxTimeouts): Promise<Removal> {
  try {
    const seen = await cli.run(["inspect", created.name], { timeoutMs: timeouts.inspect });
    if (seen.exitCode !== 0) {
      return isNoBuilder(seen) ? { outcome: "gone" } : { outcome: "failed", reason: tail(seen) };
    }
    if (!isOwn(seen.stdout, created)) return { outcome: "replaced" };
    const rm = await cli.run(["rm", created.name], { timeoutMs: timeouts.stop });
    if (rm.exitCode === 0) return { outcome: "removed" };
    return isNoBuilder(rm) ? { outcome: "gone" } : { outcome: "failed", reason: tail(rm) };
  } catch (error) {
    return { outcome: "failed", reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Whether `buildx inspect` shows the builder this run created (its node has this run's node name). */
export function isOwn(inspectOutput: string, created: Created): boolean {
  return parseInspect(inspectOutput).nodes.some((node) => node.name.toLowerCase() === created.node.toLowerCase());
}

/** The error that ended the run, saying what became of the builder this run created. */
export function withRemoval(error: unknown, removal: Removal, created: Created, cli: BuildxCli): unknown {
  const builder = `builder ${created.name}, created by this run,`;
  const note =
    removal.outcome === "removed"
      ? `${builder} was removed again`
      : removal.outcome === "gone"
        ? `${builder} is gone already (removed by another process)`
        : removal.outcome === "replaced"
          ? `${builder} was replaced by another process's builder of that name, left in place`
          : `${builder} could not be removed: ${removal.reason}`;
  const removeHint = `remove it with: ${cli.display(["rm", created.name])}`;
  if (isQusError(error)) {
    const hint = removal.outcome === "failed" ? [error.hint, removeHint].filter(Boolean).join("; ") : error.hint;
    return new QusError(error.code, `${error.message}; ${note}`, { hint, cause: error });
  }
  return new QusError("QUS_EXEC_FAILED", `${error instanceof Error ? error.message : String(error)}; ${note}`, {
    hint: removal.outcome === "failed" ? removeHint : undefined,
    cause: error,
  });
}

/** On SIGINT/SIGTERM (qus's processes already killed): removes the builder this run created, synchronously. */
export function removeOnInterrupt(cli: BuildxCli, created: Created, timeouts: BuildxTimeouts): void {
  const seen = cli.runSync(["inspect", created.name], { timeoutMs: Math.min(timeouts.inspect, 10_000) });
  if (seen.exitCode !== 0 || !isOwn(seen.stdout, created)) return;
  const rm = cli.runSync(["rm", created.name], { timeoutMs: Math.min(timeouts.stop, 20_000) });
  process.stderr.write(
    rm.exitCode === 0
      ? `qus: removed builder ${created.name}, which this run had created\n`
      : `qus: could not remove builder ${created.name}, which this run had created: ${cli.display(["rm", created.name])}\n`,
  );
}
