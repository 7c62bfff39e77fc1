import { COLUMNS, notes } from "./columns.js";
import type { Report } from "./model.js";

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The report as Markdown, for CI job summaries. */
export function renderMarkdown(report: Report): string {
  const out = [
    `### qus ${report.command}${report.dryRun ? " (dry run)" : ""}: ${report.ok ? "✅ all platforms ok" : "❌ some platforms not ok"}`,
    "",
    `| ${COLUMNS.map((column) => column.title).join(" | ")} |`,
    `|${COLUMNS.map(() => "---").join("|")}|`,
    ...report.platforms.map(
      (platform) => `| ${COLUMNS.map((column) => cell(column.value(platform)) || " ").join(" | ")} |`,
    ),
  ];
  const lines = [...notes(report.platforms), ...report.warnings.map((warning) => `warning: ${warning}`)];
  if (lines.length > 0) out.push("", ...lines.map((line) => `- ${cell(line)}`));
  return `${out.join("\n")}\n`;
}
