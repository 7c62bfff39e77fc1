import * as core from "@actions/core";
import { outputsUnwritable, readStepInputs, renderErrorText, runStep, type StepOutcome, stepStateOf } from "@qus/ci";
import { CLI_PATH, STATE_NAME } from "./common.js";

/** What the main step runs; the step itself by default (a test passes its own). */
export interface MainOptions {
  readonly runStep?: typeof runStep;
}

/**
 * The action's main step: reads the inputs, sets up and verifies the platforms (@qus/ci's step), and turns the
 * outcome into GitHub's terms: outputs, job summary, annotations, the state the post step needs, and a failed
 * step when a platform asked for does not run. Never throws: every error fails the step as qus renders it (the CLI's
 * words: code, message and hint; a bug with its stack).
 */
export async function run(options: MainOptions = {}): Promise<void> {
  try {
    const inputs = readStepInputs((name) => core.getInput(name));
    const outcome = await (options.runStep ?? runStep)(inputs, { cliPath: CLI_PATH });
    await publish(outcome);
  } catch (error) {
    // What the step registered before it failed is still the post step's to remove.
    const state = stepStateOf(error);
    if (state) saveStateOrWarn(JSON.stringify(state));
    core.setFailed(renderErrorText(error));
  }
}

async function publish(outcome: StepOutcome): Promise<void> {
  // First, so the post step can undo what was done even if anything below fails.
  const stateError = toRunnerFile("GITHUB_STATE", "the state the post step needs to clean up", outcome, () =>
    core.saveState(STATE_NAME, JSON.stringify(outcome.state)),
  );
  const outputError = toRunnerFile("GITHUB_OUTPUT", "the step's outputs", outcome, () => {
    core.setOutput("platforms", outcome.verified.join(","));
    core.setOutput("report", JSON.stringify(outcome.report));
    if (outcome.name !== undefined) core.setOutput("name", outcome.name);
  });
  core.info(outcome.summary);
  try {
    await core.summary.addRaw(outcome.summary).write();
  } catch (error) {
    core.warning(renderErrorText(error), { title: "qus could not write the job summary" });
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
  } else if (!stateError && !outputError) {
    core.info(`qus: verified ${outcome.verified.join(", ")}`);
  }
  // The platforms are set up whatever happened to the files: said above, then the step fails naming the file.
  for (const error of [stateError, outputError]) if (error) core.setFailed(renderErrorText(error));
}

/** Writes to one of the runner's files; the error that says so when it cannot, else undefined. */
function toRunnerFile(variable: string, what: string, outcome: StepOutcome, write: () => void): Error | undefined {
  try {
    write();
    return undefined;
  } catch (cause) {
    return outputsUnwritable({ what, variable, file: process.env[variable], verified: outcome.verified, cause });
  }
}

/** The state of a step that failed; a state file that cannot be written is a warning (the step fails anyway). */
function saveStateOrWarn(state: string): void {
  try {
    core.saveState(STATE_NAME, state);
  } catch (error) {
    core.warning(renderErrorText(error), { title: "qus could not save the state the post step needs to clean up" });
  }
}
