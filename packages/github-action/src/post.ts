import * as core from "@actions/core";
import { renderErrorText, runPost, type StepState } from "@qus/ci";
import { CLI_PATH, STATE_NAME } from "./common.js";

/**
 * The action's post step (it runs always): with `cleanup: true`, removes the binfmt_misc entries the main step
 * registered and the builder it created, and logs what it removed. Never fails the job: a problem is a warning
 * that names the command to run by hand.
 */
export async function run(): Promise<void> {
  try {
    const state = readState(core.getState(STATE_NAME));
    if (!state) return;
    if (!state.cleanup) {
      core.info("qus: cleanup is off: what the main step set up stays");
      return;
    }
    const outcome = await runPost(state, { cliPath: CLI_PATH });
    if (outcome.removedBuilder) core.info(`qus: removed the builder ${outcome.removedBuilder}`);
    core.info(
      outcome.removedEntries.length > 0
        ? `qus: removed ${outcome.removedEntries.join(", ")}`
        : "qus: removed no binfmt_misc entry: this job registered none",
    );
    for (const problem of outcome.problems) core.warning(problem, { title: "qus clean-up" });
  } catch (error) {
    core.warning(renderErrorText(error), { title: "qus clean-up did not finish" });
  }
}

/** The main step's state, or undefined (with a line in the log) when it saved none or it is not the main step's. */
function readState(text: string): StepState | undefined {
  if (!text) {
    core.info("qus: the main step saved no state (it failed before setting anything up): nothing to clean up");
    return undefined;
  }
  const state = JSON.parse(text) as Partial<StepState>;
  if ((state.kernel !== "local" && state.kernel !== "docker") || !Array.isArray(state.registered)) {
    core.warning(`qus: the saved state is not the main step's, nothing was removed: ${text}`, {
      title: "qus clean-up",
    });
    return undefined;
  }
  return state as StepState;
}
