// The task's main execution (task.json `execution`): the agent runs `node dist/index.js` with the inputs in
// INPUT_* variables and reads what the task says from `##vso[...]` lines on stdout. Bundled as CommonJS.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installInterruptHandlers, runStep, stepStateOf } from "@qus/ci";
import { renderTable } from "@qus/core";
import * as tl from "azure-pipelines-task-lib/task.js";
import { readTaskInputs } from "./inputs.js";
import { errorReason, failureLine, failureReason, taskOutputs } from "./messages.js";
import { STATE_VARIABLE, serializeState } from "./state.js";

/** The qus CLI bundled beside this file: the local driver runs it through `sudo -n` when the job is not root. */
const CLI_PATH = join(__dirname, "qus.js");

/** Runs the step and tells the agent its outputs, summary, warnings and result. Never throws. */
async function main(): Promise<void> {
  try {
    const inputs = readTaskInputs((name) => tl.getInput(name));
    const outcome = await runStep(inputs, { cliPath: CLI_PATH });
    // First, so the post-job step can undo what was done even if what follows goes wrong.
    tl.setTaskVariable(STATE_VARIABLE, serializeState(outcome.state));
    console.log(renderTable(outcome.report, { color: false }).trimEnd());
    if (outcome.builder)
      console.log(`buildx builder ${outcome.builder} proved: ${outcome.verified.join(", ") || "none"}`);
    for (const [name, value] of Object.entries(taskOutputs(outcome))) tl.setVariable(name, value, false, true);
    tl.uploadSummary(writeSummary(outcome.summary));
    for (const warning of outcome.warnings) tl.warning(warning);
    if (outcome.failures.length > 0) {
      for (const failure of outcome.failures) tl.error(failureLine(failure));
      tl.setResult(tl.TaskResult.Failed, failureReason(outcome.failures));
    } else {
      tl.setResult(tl.TaskResult.Succeeded, `qus: emulation verified for ${outcome.verified.join(", ")}`);
    }
  } catch (error) {
    // What the step registered before it failed is still the post-job step's to remove.
    const state = stepStateOf(error);
    if (state) tl.setTaskVariable(STATE_VARIABLE, serializeState(state));
    tl.setResult(tl.TaskResult.Failed, errorReason(error));
  }
}

/** Writes the Markdown summary to a file of its own under the agent's temporary folder; its path. */
function writeSummary(markdown: string): string {
  const dir = mkdtempSync(join(tl.getVariable("Agent.TempDirectory") || tmpdir(), "qus-summary-"));
  const path = join(dir, "qus.md");
  writeFileSync(path, markdown);
  return path;
}

installInterruptHandlers();
void main();
