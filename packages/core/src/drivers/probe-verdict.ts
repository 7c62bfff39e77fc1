import type { ExecResult } from "../exec.js";
import type { ProbeResult } from "./types.js";

/**
 * Exit status of the stand-in `/bin/sh` in the probe folder. When the kernel finds no handler (ENOEXEC),
 * the C library's exec retries the file with /bin/sh; ours is a host program that exits with this status,
 * which tells "exec format error" apart from "interpreter not found" (ENOENT).
 */
export const NO_HANDLER_STATUS = 99;

/** Turns how a probe ended into a verdict with the reason a user can act on. */
export function describeProbeRun(result: ExecResult, chroot: boolean): ProbeResult {
  if (result.exitCode === 0) return { ok: true };
  if (result.timedOut) return { ok: false, reason: "timed out: the emulator hung" };
  if (result.signal) return { ok: false, reason: `killed by ${result.signal}: the emulator crashed` };
  const detail = result.stderr.split("\n").at(-1)?.trim() ?? "";
  if (result.exitCode === NO_HANDLER_STATUS || /exec format error/i.test(detail)) {
    return { ok: false, reason: "exec format error: no binfmt_misc handler claims this architecture" };
  }
  if (/no such file or directory/i.test(detail)) {
    const where = chroot ? "inside a chroot" : "on this machine";
    return { ok: false, reason: `ENOENT: the interpreter is not reachable ${where} (an entry without the F flag?)` };
  }
  if (result.startError) return { ok: false, reason: `could not start: ${result.startError}` };
  return { ok: false, reason: `exited with status ${result.exitCode}${detail ? `: ${detail}` : ""}` };
}
