import { isQusError, type Report } from "@qus/core";

/** Exit codes of `qus`, stable: scripts branch on them. */
export const EXIT = {
  /** Every requested platform is native, or registered as asked and verified. */
  ok: 0,
  /** Some platform is not: verification failed, or a conflict was left in place. */
  notOk: 1,
  /** Bad input or usage. */
  usage: 2,
  /** The environment cannot do it: not root, no binfmt_misc, kernel too old, no QEMU. */
  environment: 3,
} as const;

/** Exit code for a finished report. */
export function exitCodeForReport(report: Report): number {
  if (report.ok) return EXIT.ok;
  const environment = report.platforms.some(
    (platform) =>
      platform.action === "missing-interpreter" ||
      platform.error?.code === "QUS_NOT_ROOT" ||
      platform.error?.code === "QUS_KERNEL_NO_F_FLAG" ||
      platform.error?.code === "QUS_INTERPRETER_MISSING",
  );
  return environment ? EXIT.environment : EXIT.notOk;
}

/** Exit code for an error that ended the command. */
export function exitCodeForError(error: unknown): number {
  if (!isQusError(error)) return EXIT.notOk;
  if (error.kind === "input") return EXIT.usage;
  if (error.kind === "environment") return EXIT.environment;
  return EXIT.notOk;
}
