import { EXIT_CODES, exitCodeOf, isQusError, type Report } from "@qus/core";

/** Exit codes of `qus`, stable: scripts branch on them. */
export const EXIT = EXIT_CODES;

/**
 * Exit code for a finished report: 0 when ok; otherwise the gravest of its platforms' errors, through the same map
 * as a thrown error (a missing interpreter is the environment's fault), 1 when no error says more.
 */
export function exitCodeForReport(report: Report): number {
  if (report.ok) return EXIT.ok;
  const codes = report.platforms
    .filter((platform) => !platform.ok)
    .map((platform) =>
      platform.error
        ? exitCodeOf(platform.error.code)
        : platform.action === "missing-interpreter"
          ? EXIT.environment
          : EXIT.notOk,
    );
  return codes.includes(EXIT.environment) ? EXIT.environment : codes.includes(EXIT.usage) ? EXIT.usage : EXIT.notOk;
}

/** Exit code for an error that ended the command. */
export function exitCodeForError(error: unknown): number {
  return isQusError(error) ? exitCodeOf(error.code) : EXIT.notOk;
}
