export type { EngineRunnerOptions } from "./engine-client.js";
export { createEngineRunner } from "./engine-runner.js";
export { type EnsureEmulationOptions, ensureEmulation, forgetEmulation } from "./ensure-emulation.js";
export { EmulationError } from "./errors.js";
export { explainStartFailure, type WithEmulationOptions, withEmulation } from "./with-emulation.js";
