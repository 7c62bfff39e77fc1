import type { BinfmtEntry } from "../../binfmt/entry.js";
import { QusError } from "../../errors.js";
import type { PlanStep } from "../../plan.js";
import { registeredMeanwhile } from "../native-policy.js";
import { describeProbeRun, NO_HANDLER_STATUS } from "../probe-verdict.js";
import type { ProbeResult } from "../types.js";
import type { HelperOp, HelperProbe } from "./protocol.js";

/** A probe's result, from its chrooted run's status in the helper. */
export function verdict(run: HelperProbe): ProbeResult {
  const status = run.chroot;
  const timedOut = status === "timeout";
  const signal = !timedOut && status > 128 && status !== NO_HANDLER_STATUS ? `signal ${status - 128}` : undefined;
  return describeProbeRun(
    {
      exitCode: timedOut || signal ? undefined : status,
      signal,
      stdout: "",
      stderr: run.message,
      startError: undefined,
      timedOut,
    },
    true,
  );
}

/** Why a step failed in the helper, from its operations' results; undefined when it did not. */
export function stepFailure(
  step: PlanStep,
  ops: readonly HelperOp[],
  entries: readonly BinfmtEntry[],
  driver: string,
): QusError | undefined {
  const names = new Set([...step.remove, step.enable, step.register?.name].filter(Boolean));
  for (const op of ops.filter((candidate) => names.has(candidate.name) && !candidate.ok)) {
    if (op.kind === "register" && step.register && /exists/i.test(op.message)) {
      // A concurrent run registered it first: fine when it is what we wanted.
      if (
        registeredMeanwhile(
          entries.find((entry) => entry.name === op.name),
          step.register,
        ) === "same"
      )
        continue;
    }
    const code = /not permitted|permission denied/i.test(op.message)
      ? "QUS_PRIVILEGE_DENIED"
      : "QUS_KERNEL_WRITE_FAILED";
    return new QusError(code, `${op.kind} ${op.name} failed in the helper container: ${op.message}`, {
      hint: `check the entry with qus status --driver ${driver}`,
    });
  }
  return undefined;
}
