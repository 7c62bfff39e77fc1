import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderErrorText, runStep, stepStateOf } from "@qus/ci";
import { renderTable } from "@qus/core";
import { printable } from "@qus/core/toolkit";
import * as tl from "azure-pipelines-task-lib/task.js";
import { readTaskInputs } from "./inputs.js";
import { failureLine, failureReason, taskOutputs } from "./messages.js";
import { STATE_VARIABLE, serializeState } from "./state.js";

/** How the task runs: the qus CLI beside its bundle, @qus/ci's step and the agent's inputs (a test passes its own). */
export interface TaskOptions {
  /** The qus CLI the local driver runs through `sudo -n` when the job is not root. */
  readonly cliPath: string;
  readonly runStep?: typeof runStep;
  /** Reads one input as the user wrote it; the task library's by default. */
  readonly getInput?: (name: string) => string | undefined;
}

/** Runs the step and tells the agent its outputs, summary, warnings and result. Never throws. */
export async function runTask(options: TaskOptions): Promise<void> {
  try {
    const inputs = readTaskInputs(options.getInput ?? ((name) => tl.getInput(name)));
    const outcome = await (options.runStep ?? runStep)(inputs, { cliPath: options.cliPath });
    // First, so the post-job step can undo what was done even if what follows goes wrong.
    tl.setTaskVariable(STATE_VARIABLE, serializeState(outcome.state));
    console.log(renderTable(outcome.report, { color: false }).trimEnd());
    if (outcome.name) console.log(`buildx builder ${outcome.name} proved: ${outcome.verified.join(", ") || "none"}`);
    for (const [name, value] of Object.entries(taskOutputs(outcome))) tl.setVariable(name, value, false, true);
    uploadSummary(outcome.summary);
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
    // qus's one renderer, as the CLI says it, on one line: the agent shows the result as one.
    tl.setResult(tl.TaskResult.Failed, renderErrorText(error, { oneLine: true }));
  }
}

/**
 * Writes the Markdown summary to a file of its own under the agent's temporary folder and attaches it. The
 * platforms are set up and the outputs set by now: a summary that cannot be written is a warning naming the folder,
 * as the GitHub Action's is, never a failed task.
 */
function uploadSummary(markdown: string): void {
  const parent = tl.getVariable("Agent.TempDirectory") || tmpdir();
  try {
    const dir = mkdtempSync(join(parent, "qus-summary-"));
    const path = join(dir, "qus.md");
    writeFileSync(path, markdown);
    tl.uploadSummary(path);
  } catch (error) {
    const reason = printable(error instanceof Error ? error.message : String(error));
    tl.warning(`qus could not write the summary under ${printable(parent)} (Agent.TempDirectory): ${reason}`);
  }
}
