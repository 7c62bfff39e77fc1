// What azure-pipelines-task-lib's MockTestRunner starts (`node <this file>`): a TaskMockRunner that sets the inputs
// and runs the task's real entry with no mock at all (`run(true)`), so it sets up this machine's real kernel.
// The test passes the entry and the inputs in QUS_E2E_TASK_ENTRY and QUS_E2E_TASK_INPUTS (JSON). Node runs this file
// as it is (type stripping), so it holds no syntax that needs compiling.
import { TaskMockRunner } from "azure-pipelines-task-lib/mock-run.js";

const entry = process.env.QUS_E2E_TASK_ENTRY;
if (!entry) throw new Error("QUS_E2E_TASK_ENTRY names no task entry");
const inputs: Record<string, string> = JSON.parse(process.env.QUS_E2E_TASK_INPUTS ?? "{}");

// MockTestRunner waits without a bound (spawnSync): this run bounds itself.
setTimeout(() => {
  process.stderr.write("azure-task-mock-run: the task did not finish within 240 s\n");
  process.exit(124);
}, 240_000).unref();

const runner = new TaskMockRunner(entry);
for (const [name, value] of Object.entries(inputs)) runner.setInput(name, value);
runner.run(true);
