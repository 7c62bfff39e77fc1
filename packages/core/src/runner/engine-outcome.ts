import type { ExecResult } from "../exec.js";
import { classifyEngineOutput, type EngineFailure } from "./engine-failure.js";

/**
 * How one engine command ended, classified once here: it ran (its status and output in `result`), it ran and its
 * client named a failure qus tells apart (`refused`), the client is not installed, could not start, or was killed at
 * its timeout. Every outcome keeps the process's `result`.
 */
export type EngineOutcome =
  | { readonly kind: "ran"; readonly result: ExecResult }
  | { readonly kind: "refused"; readonly failure: EngineFailure; readonly result: ExecResult }
  | { readonly kind: "not-installed"; readonly result: ExecResult }
  | { readonly kind: "could-not-start"; readonly reason: string; readonly result: ExecResult }
  | { readonly kind: "timed-out"; readonly result: ExecResult };

/** How a client's process ended, as an {@link EngineOutcome}. */
export function outcomeOf(result: ExecResult): EngineOutcome {
  if (result.startError === "ENOENT") return { kind: "not-installed", result };
  if (result.startError) return { kind: "could-not-start", reason: result.startError, result };
  if (result.timedOut) return { kind: "timed-out", result };
  const failure = classifyEngineOutput(result);
  return failure ? { kind: "refused", failure, result } : { kind: "ran", result };
}
