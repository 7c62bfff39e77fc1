import { interruptCleanup } from "@qus/core";

/**
 * A cancelled job: the runner sends SIGINT, then SIGTERM. On either, stops every process qus started (with its
 * process group), removes its temporary folders and helper containers, and ends as a shell reports a death by
 * that signal (128 + its number), as the qus CLI does.
 */
export function stopOnCancel(): void {
  for (const [signal, number] of [
    ["SIGINT", 2],
    ["SIGTERM", 15],
  ] as const) {
    process.once(signal, () => {
      interruptCleanup();
      process.stderr.write(`qus: cancelled by ${signal}; stopped its processes and removed its temporary files\n`);
      process.exit(128 + number);
    });
  }
}
