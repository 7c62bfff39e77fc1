import type { Report } from "@qus/core";
import { ensureEmulation } from "./ensure-emulation.js";
import { keptSetupOptions } from "./setup-options.js";

/** The environment variable that carries the report from the globalSetup to the test files (Jest's workers). */
export const REPORT_ENV = "QUS_EMULATION_REPORT";

/**
 * Jest globalSetup: ensures the platforms of `QUS_PLATFORMS` on the engine Testcontainers uses before any test
 * runs; a platform that cannot run fails the run here, with the reason and the fix. The report reaches the test
 * files through {@link emulationReport}.
 *
 * @example
 * // jest.config.js
 * export default { globalSetup: "@qus/testcontainers/jest" };
 */
export default async function globalSetup(): Promise<void> {
  const report = await ensureEmulation(keptSetupOptions());
  // Jest starts its workers after the globalSetup, with this environment.
  process.env[REPORT_ENV] = JSON.stringify(report);
}

/** In a test file: the report of the globalSetup, or undefined when it did not run. */
export function emulationReport(): Report | undefined {
  const text = process.env[REPORT_ENV];
  return text ? (JSON.parse(text) as Report) : undefined;
}
