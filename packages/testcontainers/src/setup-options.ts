import { processWide } from "@qus/core/toolkit";
import type { EnsureEmulationOptions } from "./ensure-emulation.js";

// The options a config file gives its factory, for the globalSetup module the runner loads later in the same
// process, maybe as another copy of this package (a bundled config): hence process-wide, not a module variable.
const kept = processWide("testcontainers.setup-options", () => ({ options: {} as EnsureEmulationOptions }));

/** Keeps options for the globalSetup of this process. */
export function keepSetupOptions(options: EnsureEmulationOptions): void {
  kept.options = options;
}

/** The options a factory kept, else none (the platforms then come from QUS_PLATFORMS). */
export function keptSetupOptions(): EnsureEmulationOptions {
  return kept.options;
}
