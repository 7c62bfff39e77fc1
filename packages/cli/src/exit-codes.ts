import { EXIT_CODES, exitCodeOf, isQusError, type Report } from "@qus/core";

/** Exit codes of `qus`, stable: scripts branch on them. */
export const EXIT = EXIT_CODES;

/**
 * The exit status of qus's own failure in a command that passes another program's status through (`qus vm run`),
 * as `docker run` keeps 125 for its own: every other status is the program's.
 */
export const QUS_FAILED_EXIT = 125;

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
  return gravest([EXIT.notOk, ...codes]);
}

/**
 * The one roll-up of several outcomes' exit codes (platforms, engines, a builder's nodes): the gravest, the
 * environment's fault first, then the user's input, then not ok; 0 only when every one is 0.
 */
export function gravest(codes: readonly number[]): number {
  for (const code of [EXIT.environment, EXIT.usage, EXIT.notOk]) if (codes.includes(code)) return code;
  return EXIT.ok;
}

/** Exit code for an error that ended the command. */
export function exitCodeForError(error: unknown): number {
  return isQusError(error) ? exitCodeOf(error.code) : EXIT.notOk;
}
