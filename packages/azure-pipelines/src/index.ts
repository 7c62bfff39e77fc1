// The task's main execution (task.json `execution`): the agent runs `node dist/index.js` with the inputs in
// INPUT_* variables and reads what the task says from `##vso[...]` lines on stdout. Bundled as CommonJS.
import { join } from "node:path";
import { installInterruptHandlers } from "@qus/ci";
import { runTask } from "./main.js";

installInterruptHandlers();
// The qus CLI bundled beside this file: the local driver runs it through `sudo -n` when the job is not root.
void runTask({ cliPath: join(__dirname, "qus.js") });
