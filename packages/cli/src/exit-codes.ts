import { EXIT_CODES, exitCodeOf, type Report } from "@qus/core";
import { exitCodeOfError } from "@qus/core/toolkit";

/**
 * Exit codes of `qus`, stable: scripts branch on them. Core's one table (0 ok, 1 not ok, 2 input, 3 environment;
 * 125 qus failed in a command that passes another program's status through): no command file writes a number.
 */
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

/** Exit code of a command whose outcome is all or nothing (every node proved, no VM died): 0 or 1. */
export function exitCodeWhen(ok: boolean): number {
  return ok ? EXIT.ok : EXIT.notOk;
}

/**
 * Exit code for an error that ended a command: its code's (core's one map; 1 for a bug), or 125 when the command
 * passes another program's status through (see {@link passedThroughExitCode}).
 */
export function exitCodeForFailure(error: unknown, passesStatusThrough = false): number {
  return passesStatusThrough ? passedThroughExitCode({ failed: error }) : exitCodeOfError(error);
}

/**
 * How a command that passes another program's status through (`qus vm run`) ended: the program ran to its
 * status, or qus failed before it could say one.
 */
export type PassedThrough = { readonly status: number } | { readonly failed: unknown };

/**
 * `qus vm run`'s exit code, as `docker run`'s: the program's status whatever it is (its 2 or 3 included), and
 * {@link EXIT}.qusFailed (125) for every failure of qus's own, whatever its code: the QUS_ code on stderr (or the
 * JSON error on stdout with `--json`) is what tells a program's 125 from qus's.
 */
export function passedThroughExitCode(outcome: PassedThrough): number {
  return "status" in outcome ? outcome.status : EXIT.qusFailed;
}
