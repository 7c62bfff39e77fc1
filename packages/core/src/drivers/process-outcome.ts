import { constants } from "node:os";
import type { ExecResult } from "../exec.js";
import type { ContainerOutcome } from "../runner/types.js";

/**
 * Exit status of the stand-in `/bin/sh` in the probe folder. When the kernel finds no handler (ENOEXEC),
 * the C library's exec retries the file with /bin/sh; ours is a host program that exits with this status,
 * which tells "exec format error" apart from "interpreter not found" (ENOENT).
 */
export const NO_HANDLER_STATUS = 99;

/**
 * How a probe that qus ran as a process of its own ended (on this machine, or chrooted by the helper in its
 * container), typed as a container run is: its errno, the probe folder's {@link NO_HANDLER_STATUS} and chroot's
 * words are read here once. `chroot`: run through chroot, whose ENOENT may be chroot's own.
 */
export function probeProcessOutcome(result: ExecResult, chroot: boolean): ContainerOutcome {
  const { stdout, stderr, exitCode, signal, startError } = result;
  if (result.timedOut) return { kind: "timed-out", stdout, stderr };
  if (exitCode === 0) return { kind: "ran", exitCode, stdout, stderr };
  if (signal)
    return { kind: "ran", exitCode: 128 + (constants.signals[signal as NodeJS.Signals] ?? 0), signal, stdout, stderr };
  const lastLine = stderr.split("\n").at(-1)?.trim() ?? "";
  if (exitCode === NO_HANDLER_STATUS || /exec format error/i.test(lastLine) || startError === "ENOEXEC")
    return { kind: "not-started", reason: "exec-format", detail: lastLine || "exec format error" };
  if (/no such file or directory/i.test(lastLine))
    return { kind: "not-started", reason: "not-found", detail: lastLine };
  // Run directly, the probe file is there: execve's ENOENT is the entry's interpreter (chrooted, it may be chroot).
  if (!chroot && startError === "ENOENT")
    return { kind: "not-started", reason: "not-found", detail: "its interpreter is missing (ENOENT)" };
  if (startError || exitCode === undefined)
    return { kind: "not-started", reason: "other", detail: startError ?? "no exit status" };
  return { kind: "ran", exitCode, stdout, stderr };
}
