import type { StepFailure, StepOutcome } from "@qus/ci";

/** The task's output variables (task.json `OutputVariables`), each as the text the agent stores. */
export interface TaskOutputs {
  /** The verified platforms asked for, canonical, comma separated. */
  readonly platforms: string;
  /** qus's report of the kernel, as one line of JSON. */
  readonly report: string;
  /** The buildx builder's name, or empty. */
  readonly builderName: string;
}

/** The output variables of a step's outcome. */
export function taskOutputs(outcome: StepOutcome): TaskOutputs {
  return {
    platforms: outcome.verified.join(","),
    report: JSON.stringify(outcome.report),
    builderName: outcome.name ?? "",
  };
}

/** One error line per platform that does not run: the platform, why, and what to do. */
export function failureLine(failure: StepFailure): string {
  return `${failure.platform}: ${failure.message}${failure.hint ? ` (hint: ${failure.hint})` : ""}`;
}

/** Why the task failed, when platforms asked for do not run: each one named with its reason and hint. */
export function failureReason(failures: readonly StepFailure[]): string {
  const count = failures.length === 1 ? "1 platform does" : `${failures.length} platforms do`;
  return `qus: ${count} not run: ${failures.map(failureLine).join("; ")}`;
}
