import { QusError, type Report, renderJson, renderMarkdown, renderTable } from "@qus/core";
import { alignRows } from "@qus/core/toolkit";
import type { EnginePlatformResult, EngineReport, RunsThrough } from "./verify.js";

/** The output formats of the module's functions. */
export const FORMATS = ["table", "json", "markdown"] as const;
export type Format = (typeof FORMATS)[number];

/** A format as the user wrote it, checked. */
export function formatOf(format: string): Format {
  if ((FORMATS as readonly string[]).includes(format)) return format as Format;
  throw new QusError("QUS_USAGE", `unknown format ${JSON.stringify(format)}`, {
    hint: `use one of: ${FORMATS.join(", ")}`,
  });
}

const THROUGH: Readonly<Record<RunsThrough, string>> = {
  native: "native",
  "host-kernel": "host kernel",
  "engine-qemu": "engine's QEMU",
  unknown: "unknown",
};

/** How to restart the engine the dagger CLI starts on Docker. */
export const RESTART_COMMAND = "docker restart $(docker ps -q --filter name=dagger-engine)";

/** The sentence a restart-bound engine needs, said once. */
export const RESTART_NOTE =
  "the Dagger engine reads which platforms its host runs only when it starts, and runs the others with its own bundled QEMU: restart the engine after registering, so it runs them through the host's QEMU";

/** A core report (ensure, status) in the asked format. */
export function renderCoreReport(report: Report, format: Format): string {
  if (format === "json") return renderJson(report);
  if (format === "markdown") return renderMarkdown(report);
  return renderTable(report, { color: false });
}

/** What `verify` found on the engine, in the asked format. */
export function renderEngineReport(report: EngineReport, format: Format): string {
  if (format === "json") return renderJson(report); // core's report, with the engine's fields added
  const rows = report.platforms.map((platform) => [
    platform.platform,
    THROUGH[platform.through],
    platform.ok ? "yes" : "no",
    platform.failure ?? "",
  ]);
  const head = ["platform", "runs through", "ok", "failure"];
  const notes = report.platforms.filter((platform) => platform.reason || platform.hint).map(noteOf);
  const verdict = verdictOf(report);
  if (format === "markdown") {
    const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
    return [
      line(head),
      line(head.map(() => "---")),
      ...rows.map(line),
      "",
      ...notes.map((note) => `- ${note}`),
      ...(notes.length ? [""] : []),
      `**${verdict}**`,
      "",
    ].join("\n");
  }
  return [...alignRows([head, ...rows]), ...notes.map((note) => `  ${note}`), verdict, ""].join("\n");
}

function noteOf(platform: EnginePlatformResult): string {
  const hint = platform.hint ? ` (hint: ${platform.hint})` : "";
  return `${platform.platform}: ${platform.reason ?? "see the hint"}${hint}`;
}

function verdictOf(report: EngineReport): string {
  const where = `the Dagger engine (${report.engine.platform}, ${report.engine.version})`;
  const failed = report.platforms.filter((platform) => !platform.ok).length;
  const total = report.platforms.length;
  const base = failed
    ? `verify: ${failed} of ${total} platforms do not run on ${where}`
    : `verify: all ${total} platforms run on ${where}`;
  return report.restartAdvised ? `${base}\n${RESTART_NOTE}` : base;
}
