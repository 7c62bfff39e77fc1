import { interruptCleanup } from "@qus/core";

/**
 * When the agent cancels the job (SIGINT, then SIGTERM) or the machine hangs up: stop every process qus started,
 * with their process groups and helper containers, remove its temporary folders, and exit as a shell reports a
 * death by that signal.
 */
export function installSignalHandlers(): void {
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
