import type { ExecResult } from "../exec.js";
import { describeFailure } from "../report/probe-words.js";
import type { ContainerOutcome } from "../runner/types.js";
import { NO_HANDLER_STATUS, probeProcessOutcome } from "./process-outcome.js";
import type { ProbeFailureKind, ProbeResult } from "./types.js";

export { NO_HANDLER_STATUS };

/**
 * Turns how a probe ended into a typed verdict, from its outcome's kind alone: a container run as its runner typed
 * it, or a process qus ran itself (typed first by {@link probeProcessOutcome}). `chroot`: it ran chrooted, as in a
 * container.
 */
export function describeProbeRun(run: ContainerOutcome | ExecResult, chroot: boolean): ProbeResult {
  const outcome = "kind" in run ? run : probeProcessOutcome(run, chroot);
  if (outcome.kind === "ran" && outcome.exitCode === 0 && !outcome.signal) return { ok: true, chrooted: chroot };
  const [failure, detail] = classify(outcome);
  return {
    ok: false,
    failure,
    detail,
    chrooted: chroot,
    reason: describeFailure({ failure, detail, chrooted: chroot }),
  };
}

function classify(outcome: ContainerOutcome): [ProbeFailureKind, string | undefined] {
  switch (outcome.kind) {
    case "timed-out":
      return ["timeout", undefined];
    case "interrupted":
      return ["exit-status", outcome.detail];
    case "not-started":
      if (outcome.reason === "exec-format") return ["no-handler", undefined];
      // The probe is there: what is not found is the interpreter its entry names.
      if (outcome.reason === "not-found") return ["interpreter-unreachable", outcome.detail || undefined];
      return ["exit-status", `could not start: ${outcome.detail}`];
    case "ran": {
      if (outcome.signal) return ["crashed", outcome.signal];
      const lastLine = outcome.stderr.split("\n").at(-1)?.trim() ?? "";
      return ["exit-status", `status ${outcome.exitCode}${lastLine ? `: ${lastLine}` : ""}`];
    }
  }
}
