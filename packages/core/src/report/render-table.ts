import { printable } from "../display.js";
import { alignRows } from "./align.js";
import { columnsOf, notes } from "./columns.js";
import type { Report } from "./model.js";

/** Options of {@link renderTable}. */
export interface TableOptions {
  /** Color the verdicts; decide with {@link shouldColor}. */
  readonly color: boolean;
}

const paint = (code: number, text: string) => `\u001b[${code}m${text}\u001b[0m`;

/** Whether to color: a TTY, and neither NO_COLOR nor TERM=dumb set. */
export function shouldColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
}

/** The report as a table for people, with notes and a one-line verdict. */
export function renderTable(report: Report, options: TableOptions): string {
  const columns = columnsOf(report);
  // Cells, notes and warnings quote entries, interpreters and engines' words: shown escaped, never obeyed.
  const rows = report.platforms.map((platform) => columns.map((column) => printable(column.value(platform))));
  const [titles = "", ...lines] = alignRows([columns.map((column) => column.title), ...rows]);
  const out = [titles];
  report.platforms.forEach((platform, i) => {
    const text = lines[i] ?? "";
    out.push(options.color ? paint(platform.ok ? 32 : 31, text) : text);
  });
  for (const note of notes(report.platforms)) out.push(`  ${printable(note)}`);
  for (const warning of report.warnings) out.push(`warning: ${printable(warning)}`);
  const failed = report.platforms.filter((platform) => !platform.ok).length;
  const verdict =
    failed === 0
      ? `${report.command}: all ${report.platforms.length} platforms ok`
      : `${report.command}: ${failed} of ${report.platforms.length} platforms not ok`;
  out.push(`${report.dryRun ? "(dry run) " : ""}${options.color ? paint(failed === 0 ? 32 : 31, verdict) : verdict}`);
  return `${out.join("\n")}\n`;
}
