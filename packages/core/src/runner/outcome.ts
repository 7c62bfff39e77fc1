import type { ContainerOutcome } from "./types.js";

// A container run's outcome in words, for messages: engine-neutral, whichever runner typed it.

/** One line of text, never empty, at most 300 characters: what an error message says after its colon. */
export function oneLine(detail: string): string {
  const line = detail.trim().split("\n").filter(Boolean).join(" ").replace(/\s+/g, " ");
  return line.length > 300 ? `${line.slice(0, 300)}...` : line || "no error message";
}

/** The last lines a run printed (its error output first), without a CLI's usage reminder; "" when it printed none. */
export function lastLines(stdout: string, stderr: string): string {
  const text = (stderr.trim() || stdout.trim())
    .split("\n")
    .map((line) => line.trim())
    // The CLI's usage reminder after an error says nothing about the error.
    .filter((line) => line && !/^Run '.*--help' for more information$/.test(line));
  const lines = text.slice(-3).join(" ");
  return lines ? oneLine(lines) : "";
}

/** What a container run that did not succeed said, for a message: its last lines, or how it ended. Never empty. */
export function describeOutcome(outcome: ContainerOutcome): string {
  switch (outcome.kind) {
    case "not-started":
      return oneLine(outcome.detail);
    case "timed-out":
      return lastLines(outcome.stdout, outcome.stderr) || "it did not finish in time and was stopped";
    case "interrupted":
      return lastLines(outcome.stdout, outcome.stderr) || oneLine(outcome.detail);
    case "ran":
      return (
        lastLines(outcome.stdout, outcome.stderr) ||
        (outcome.signal
          ? `it was killed by ${outcome.signal}`
          : `it exited with status ${outcome.exitCode} and printed nothing`)
      );
  }
}

/** A run ended from outside (its runner says so), or by a signal, which qus's helpers never send themselves. */
export function stoppedFromOutside(outcome: ContainerOutcome): boolean {
  return outcome.kind === "interrupted" || (outcome.kind === "ran" && outcome.signal !== undefined);
}

/** How a run {@link stoppedFromOutside} ended, for a message: `status 137`. */
export function howStopped(outcome: ContainerOutcome): string {
  if (outcome.kind === "ran") return `status ${outcome.exitCode}`;
  return outcome.kind === "interrupted" ? outcome.detail : describeOutcome(outcome);
}
