import type { Report } from "./model.js";

/** The report as JSON: the stable shape documented in README (schemaVersion 1). */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
