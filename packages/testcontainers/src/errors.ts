import { type PlatformReport, QusError, type Report } from "@qus/core";
import type { EngineInfo } from "@qus/core/runner";
import { whyNotOk } from "@qus/core/toolkit";

/** A QusError that carries the report it was made from. */
export class EmulationError extends QusError {
  /** qus's report: every platform asked for, with why each failed one failed. */
  readonly report: Report | undefined;

  constructor(error: QusError, report?: Report) {
    super(error.code, error.message, { hint: error.hint, cause: error.cause });
    this.report = report;
  }
}

/**
 * The error for an ensure that left some platform unable to run: one line per such platform, with its reason and
 * what to do. Its code is the first failed platform's own (`QUS_PRIVILEGE_DENIED`, ...), or QUS_VERIFY_FAILED when
 * a platform is registered but its program does not run.
 */
export function failedPlatformsError(report: Report, engine: EngineInfo): EmulationError {
  const failed = report.platforms.filter((platform) => !platform.ok);
  const code = failed.find((platform) => platform.error)?.error?.code ?? "QUS_VERIFY_FAILED";
  const lines = failed.map((platform) => `  ${platform.platform}: ${whyNotOk(platform)}${hintOf(platform)}`);
  const message = `these platforms cannot run on the engine at ${engine.endpoint} (${engine.architecture}):\n${lines.join("\n")}`;
  return new EmulationError(
    new QusError(code, message, {
      hint: "each platform's line says what to do; the report (error.report) has the details",
    }),
    report,
  );
}

function hintOf(platform: PlatformReport): string {
  return platform.hint ? `\n    fix: ${platform.hint}` : "";
}
