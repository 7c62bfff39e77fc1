import { type InputName, readStepInputs, type StepInputs } from "@qus/ci";

/**
 * The task.json name of each of @qus/ci's inputs. Azure task input names take letters and digits only
 * (tasks.schema.json: `^[A-Za-z][A-Za-z0-9]*$`) and are camelCase; the builder's name is `builderName`, as the
 * task has always called it (setup-buildx-action's bare `name` says less in a pipeline's YAML).
 */
export const TASK_INPUTS: Readonly<Record<InputName, string>> = {
  platforms: "platforms",
  kernel: "kernel",
  image: "image",
  replace: "replace",
  flags: "flags",
  buildx: "buildx",
  name: "builderName",
  driver: "driver",
  "driver-opts": "driverOpts",
  use: "use",
  cleanup: "cleanup",
};

/** The task's input names, in @qus/ci's order (`platforms`, `kernel`, ..., `driverOpts`, `use`, `cleanup`). */
export const TASK_INPUT_NAMES: readonly string[] = Object.values(TASK_INPUTS);

/**
 * Reads and checks the task's inputs under @qus/ci's names. `getInput` is the task library's `tl.getInput`: every
 * input, booleans included, is read as the text the user wrote, so `replace: yes` is an error that names the input
 * rather than a silent false (as `tl.getBoolInput` would make it). The GitHub Action's retired names are not the
 * task's: only the task's own inputs are read. Throws @qus/ci's QusError for bad input.
 */
export function readTaskInputs(getInput: (name: string) => string | undefined): StepInputs {
  return readStepInputs((name) => (name in TASK_INPUTS ? getInput(TASK_INPUTS[name as InputName]) : undefined));
}
