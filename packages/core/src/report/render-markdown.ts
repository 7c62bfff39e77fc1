import { printable } from "../display.js";
import { columnsOf, notes } from "./columns.js";
import type { Report } from "./model.js";

// One line, its pipes escaped, and no control character raw (a CI log shows summaries on a terminal too).
const cell = (text: string) => printable(text.replaceAll("\n", " ")).replaceAll("|", "\\|");

/** The report as Markdown, for CI job summaries. */
export function renderMarkdown(report: Report): string {
  const columns = columnsOf(report);
  const out = [
    `### qus ${report.command}${report.dryRun ? " (dry run)" : ""}: ${report.ok ? "✅ all platforms ok" : "❌ some platforms not ok"}`,
    "",
    `| ${columns.map((column) => column.title).join(" | ")} |`,
    `|${columns.map(() => "---").join("|")}|`,
    ...report.platforms.map(
      (platform) => `| ${columns.map((column) => cell(column.value(platform)) || " ").join(" | ")} |`,
    ),
  ];
  const lines = [...notes(report.platforms), ...report.warnings.map((warning) => `warning: ${warning}`)];
  if (lines.length > 0) out.push("", ...lines.map((line) => `- ${cell(line)}`));
  return `${out.join("\n")}\n`;
}
