import * as core from "@actions/core";
import { readStepInputs, runStep, type StepOutcome, stepStateOf } from "@qus/ci";
import { CLI_PATH, describeError, STATE_NAME } from "./common.js";

/**
 * The action's main step: reads the inputs, sets up and verifies the platforms (@qus/ci's step), and turns the
 * outcome into GitHub's terms: outputs, job summary, annotations, the state the post step needs, and a failed
 * step when a platform asked for does not run. Never throws: every error fails the step with its message and hint.
 */
export async function run(): Promise<void> {
  try {
    const inputs = readStepInputs((name) => core.getInput(name));
    const outcome = await runStep(inputs, { cliPath: CLI_PATH });
    await publish(outcome);
  } catch (error) {
    // What the step registered before it failed is still the post step's to remove.
    const state = stepStateOf(error);
    if (state) core.saveState(STATE_NAME, JSON.stringify(state));
    core.setFailed(describeError(error));
  }
}

async function publish(outcome: StepOutcome): Promise<void> {
  // First, so the post step can undo what was done even if anything below fails.
  core.saveState(STATE_NAME, JSON.stringify(outcome.state));
  core.setOutput("platforms", outcome.verified.join(","));
  core.setOutput("report", JSON.stringify(outcome.report));
  if (outcome.builder !== undefined) core.setOutput("builder", outcome.builder);

  core.info(outcome.summary);
  try {
    await core.summary.addRaw(outcome.summary).write();
  } catch (error) {
    core.warning(`qus could not write the job summary: ${describeError(error)}`);
  }

  for (const warning of outcome.warnings) core.warning(warning, { title: "qus" });
  for (const failure of outcome.failures) {
    core.error(`${failure.platform}: ${failure.message}${failure.hint ? `\nhint: ${failure.hint}` : ""}`, {
      title: `qus: ${failure.platform} does not run`,
    });
  }
  if (outcome.failures.length > 0) {
    const asked = outcome.report.platforms.length;
    const which = outcome.failures.map((failure) => `${failure.platform} (${failure.message})`).join("; ");
    core.setFailed(`qus: ${outcome.failures.length} of ${asked} platforms asked for do not run: ${which}`);
  } else {
    core.info(`qus: verified ${outcome.verified.join(", ")}`);
  }
}
