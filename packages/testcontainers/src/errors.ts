import { type PlatformReport, QusError, type Report } from "@qus/core";
import type { EngineInfo } from "@qus/core/runner";
import { platformProblems, whyNotOk } from "@qus/core/toolkit";

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
 * what to do (core's words: the report's own). Its code is the first failed platform's own
 * (`QUS_PRIVILEGE_DENIED`, ...), or QUS_VERIFY_FAILED when a platform is registered but its program does not run.
 */
export function failedPlatformsError(report: Report, engine: EngineInfo): EmulationError {
  const code = report.platforms.find((platform) => !platform.ok && platform.error)?.error?.code ?? "QUS_VERIFY_FAILED";
  const lines = platformProblems(report).map(
    (problem) => `  ${problem.platform}: ${problem.message}${fixLine(problem.hint)}`,
  );
  const message = `these platforms cannot run on the engine at ${engine.endpoint} (${engine.architecture}):\n${lines.join("\n")}`;
  return new EmulationError(
    new QusError(code, message, {
      hint: "each platform's line says what to do; the report (error.report) has the details",
    }),
    report,
  );
}

function fixLine(hint: string | undefined): string {
  return hint ? `\n    fix: ${hint}` : "";
}

/**
 * What binfmt_misc on an engine has for a cpu whose containers did not start, from core's verify report (or the
 * error verify ended with): the entry's state, core's reason and core's fix; undefined when its programs run.
 */
export function engineBinfmtState(report: Report | Error, cpu: string): string | undefined {
  if (report instanceof Error) return `qus could not look (${report.message})`;
  const platform = report.platforms.find((entry) => entry.cpu === cpu);
  if (!platform) return `qus could not look at qemu-${cpu}`;
  if (platform.ok) return undefined;
  return `${entryWords(platform, cpu)}: ${whyNotOk(platform)}${fixLine(platform.hint)}`;
}

function entryWords(platform: PlatformReport, cpu: string): string {
  if (platform.before === "absent") return `no entry for ${cpu} (qemu-${cpu} is not registered)`;
  if (platform.before === "disabled") return `the entry qemu-${cpu} is there but disabled`;
  return `the entry qemu-${cpu} is there, but a program of it does not run`;
}
