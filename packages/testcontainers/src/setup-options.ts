import type { EnsureEmulationOptions } from "./ensure-emulation.js";

// The options a config file gives its factory, for the globalSetup module the runner loads later in the same
// process, maybe as another copy of this package (bundled config): hence globalThis, not a module variable.
const OPTIONS_KEY = Symbol.for("qus.testcontainers.setup-options");

/** Keeps options for the globalSetup of this process. */
export function keepSetupOptions(options: EnsureEmulationOptions): void {
  (globalThis as Record<symbol, unknown>)[OPTIONS_KEY] = options;
}

/** The options a factory kept, else none (the platforms then come from QUS_PLATFORMS). */
export function keptSetupOptions(): EnsureEmulationOptions {
  return ((globalThis as Record<symbol, unknown>)[OPTIONS_KEY] as EnsureEmulationOptions | undefined) ?? {};
}
