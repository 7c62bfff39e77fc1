// The task's post-job execution (task.json `postjobexecution`): with `cleanup: true`, removes what the main step
// registered and the builder it created. It never fails the job: a problem is a warning naming what to run.
import { join } from "node:path";
import { installInterruptHandlers, renderErrorText, runPost } from "@qus/ci";
import * as tl from "azure-pipelines-task-lib/task.js";
import { parseState, STATE_VARIABLE } from "./state.js";

/** The qus CLI bundled beside this file, for the local driver as a non-root user (through `sudo -n`). */
const CLI_PATH = join(__dirname, "qus.js");

/** Cleans up after the main step, as its saved state says. Never throws, never fails the task. */
async function post(): Promise<void> {
  try {
    const state = parseState(tl.getTaskVariable(STATE_VARIABLE));
    if (!state) {
      console.log("qus: nothing to clean up: the main step saved no state (it did not run, or set nothing up)");
      return;
    }
    if (!state.cleanup) {
      console.log("qus: cleanup is false: emulation stays set up");
      return;
    }
    const outcome = await runPost(state, { cliPath: CLI_PATH });
    const removed = [
      ...outcome.removedEntries,
      ...(outcome.removedBuilder ? [`builder ${outcome.removedBuilder}`] : []),
    ];
    console.log(`qus: removed ${removed.length > 0 ? removed.join(", ") : "nothing: this job registered nothing"}`);
    for (const problem of outcome.problems) tl.warning(`qus clean-up: ${problem}`);
  } catch (error) {
    tl.warning(`qus clean-up did not run: ${renderErrorText(error, { oneLine: true })}`);
  }
}

installInterruptHandlers();
void post();
