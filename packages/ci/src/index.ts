// What a plugin needs of core beside the step: its errors and their one renderer (the CLI's), and the clean-up on a
// cancelled job.
export { isQusError, QusError, renderTable } from "@qus/core";
export { installInterruptHandlers, interruptCleanup, renderErrorText } from "@qus/core/toolkit";
export {
  INPUT_DEFAULTS,
  INPUT_NAMES,
  type InputName,
  type InputReader,
  RETIRED_INPUTS,
  readStepInputs,
  type StepBuildxDriver,
  type StepInputs,
  type StepKernel,
} from "./inputs.js";
export { DISTRIBUTION_QEMU } from "./local-ensure.js";
export { outputsUnwritable, type UnwrittenOutputs } from "./outputs.js";
export { type PostOutcome, runPost } from "./post.js";
export { runStep, type StepFailure, type StepOptions, type StepOutcome, type StepState, stepStateOf } from "./step.js";
