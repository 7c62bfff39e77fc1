import { fileURLToPath } from "node:url";
import type { Report } from "@qus/core";
import type { TestProject } from "vitest/node";
import { type EnsureEmulationOptions, ensureEmulation } from "./ensure-emulation.js";
import { keepSetupOptions, keptSetupOptions } from "./setup-options.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** qus's report of the platforms ensured before the tests (`inject("qusEmulation")`). */
    qusEmulation: Report;
  }
}

/**
 * Vitest globalSetup: ensures the platforms of `QUS_PLATFORMS` (or those given to {@link qusEmulation}) on the
 * engine Testcontainers uses, before any test runs, and provides qus's report to the tests
 * (`inject("qusEmulation")`). A platform that cannot run fails the run here, with the reason and the fix.
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ["@qus/testcontainers/vitest"] } });
 */
export default async function setup(project: TestProject): Promise<void> {
  const report = await ensureEmulation(keptSetupOptions());
  project.provide("qusEmulation", report);
}

/**
 * The globalSetup entry with options written in vitest.config.ts: returns this module's path for `globalSetup`.
 *
 * @example
 * globalSetup: [qusEmulation({ platforms: ["linux/arm64", "linux/riscv64"] })]
 */
export function qusEmulation(options: EnsureEmulationOptions = {}): string {
  keepSetupOptions(options);
  return fileURLToPath(import.meta.url);
}
