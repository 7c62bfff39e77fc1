import { INPUT_NAMES, readStepInputs, type StepInputs } from "@qus/ci";

/**
 * The task.json name of one of @qus/ci's inputs. Azure task input names take letters and digits only
 * (tasks.schema.json: `^[A-Za-z][A-Za-z0-9]*$`), so `builder-name` is `builderName`; the others keep their names.
 */
export function taskInputName(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** The task's input names, in @qus/ci's order (`platforms`, `driver`, ..., `builderName`, `cleanup`). */
export const TASK_INPUT_NAMES: readonly string[] = INPUT_NAMES.map(taskInputName);

/**
 * Reads and checks the task's inputs under @qus/ci's names. `getInput` is the task library's `tl.getInput`: every
 * input, booleans included, is read as the text the user wrote, so `replace: yes` is an error that names the input
 * rather than a silent false (as `tl.getBoolInput` would make it). Throws @qus/ci's QusError for bad input.
 */
export function readTaskInputs(getInput: (name: string) => string | undefined): StepInputs {
  return readStepInputs((name) => getInput(taskInputName(name)));
}
