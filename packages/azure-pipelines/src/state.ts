import type { StepState } from "@qus/ci";

/**
 * The task variable that carries the main step's state to the post-job step. The agent keeps one set of task
 * variables per task instance, shared by its pre-job, main and post-job executions, and hands them to each as
 * `VSTS_TASKVARIABLE_<NAME>` (read back with `tl.getTaskVariable`). Letters and `_` only: the name is an
 * environment variable's.
 */
export const STATE_VARIABLE = "qus_state";

/** The state as the task variable holds it: one line of JSON. */
export function serializeState(state: StepState): string {
  return JSON.stringify(state);
}

const CPU = /^[a-z0-9_]+$/;

/**
 * The state the main step saved, checked; undefined when there is none (the main step did not run, or stopped
 * before it set anything up). Throws naming what is wrong with a state that is not one.
 */
export function parseState(text: string | undefined): StepState | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the task variable ${STATE_VARIABLE} is not JSON: ${text.slice(0, 200)}`);
  }
  const state = value as Partial<StepState> | null;
  const valid =
    typeof state === "object" &&
    state !== null &&
    (state.kernel === "local" || state.kernel === "docker") &&
    Array.isArray(state.registered) &&
    state.registered.every((cpu) => typeof cpu === "string" && CPU.test(cpu)) &&
    typeof state.cleanup === "boolean" &&
    (state.createdBuilder === undefined || typeof state.createdBuilder === "string") &&
    (state.image === undefined || typeof state.image === "string");
  if (!valid) throw new Error(`the task variable ${STATE_VARIABLE} is not a state qus saved: ${text.slice(0, 200)}`);
  return state as StepState;
}
