import type { ExecResult } from "../exec.js";
import { describeFailure } from "../report/probe-words.js";
import type { ProbeFailureKind, ProbeResult } from "./types.js";

/**
 * Exit status of the stand-in `/bin/sh` in the probe folder. When the kernel finds no handler (ENOEXEC),
 * the C library's exec retries the file with /bin/sh; ours is a host program that exits with this status,
 * which tells "exec format error" apart from "interpreter not found" (ENOENT).
 */
export const NO_HANDLER_STATUS = 99;

/** Turns how a probe ended into a typed verdict. */
export function describeProbeRun(result: ExecResult, chroot: boolean): ProbeResult {
  if (result.exitCode === 0 && !result.timedOut) return { ok: true, chrooted: chroot };
  const lastLine = result.stderr.split("\n").at(-1)?.trim() ?? "";
  const [failure, detail] = classify(result, lastLine, chroot);
  return {
    ok: false,
    failure,
    detail,
    chrooted: chroot,
    reason: describeFailure({ failure, detail, chrooted: chroot }),
  };
}

function classify(result: ExecResult, lastLine: string, chroot: boolean): [ProbeFailureKind, string | undefined] {
  if (result.timedOut) return ["timeout", undefined];
  if (result.signal) return ["crashed", result.signal];
  if (result.exitCode === NO_HANDLER_STATUS || /exec format error/i.test(lastLine) || result.startError === "ENOEXEC")
    return ["no-handler", undefined];
  if (/no such file or directory/i.test(lastLine)) return ["interpreter-unreachable", lastLine || undefined];
  // Run directly, the probe file is there: execve's ENOENT is the entry's interpreter (chrooted, it may be chroot).
  if (!chroot && result.startError === "ENOENT")
    return ["interpreter-unreachable", "its interpreter is missing (ENOENT)"];
  if (result.startError) return ["exit-status", `could not start: ${result.startError}`];
  return ["exit-status", `status ${result.exitCode}${lastLine ? `: ${lastLine}` : ""}`];
}
