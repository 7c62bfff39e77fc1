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

/**
 * On SIGINT, SIGTERM or SIGHUP (Ctrl-C, a cancelled CI job, a closed terminal): runs {@link interruptCleanup} and
 * exits as a shell reports a death by that signal (128 + its number). For programs built on qus: its CLI and its
 * CI plugins.
 */
export function installInterruptHandlers(): void {
  for (const [signal, number] of [
    ["SIGINT", 2],
    ["SIGTERM", 15],
    ["SIGHUP", 1],
  ] as const) {
    process.once(signal, () => {
      interruptCleanup();
      process.stderr.write(`qus: interrupted by ${signal}; stopped its processes and removed its temporary files\n`);
      process.exit(128 + number);
    });
  }
}
