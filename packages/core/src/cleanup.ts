import { killRunningProcesses } from "./exec.js";
import { processWide } from "./process-wide.js";

const cleanups = processWide("cleanups", () => new Set<() => void>());

/** Registers a synchronous clean-up (a temporary folder's removal) to run if qus is interrupted; returns its removal. */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/**
 * What a signal handler calls before qus exits: kills every process group qus started and runs the registered
 * clean-ups, so an interrupted run leaves no emulator running and no temporary folder behind.
 */
export function interruptCleanup(): void {
  killRunningProcesses();
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Best effort: the others still run.
    }
  }
  cleanups.clear();
}
