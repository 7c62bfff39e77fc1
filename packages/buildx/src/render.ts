import type { BootstrapReport } from "./bootstrap.js";

const yes = (value: boolean) => (value ? "yes" : "no");

/** The bootstrap report for people: builder, nodes, and each platform listed / native / proven. */
export function renderBootstrap(report: BootstrapReport): string {
  const rows = [
    ["platform", "listed", "native", "proven"],
    ...report.platforms.map((p) => [p.platform, yes(p.listed), yes(p.native), p.proven ? "yes" : "NO"]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  const table = rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  const nodes = report.nodes.map(
    (node) =>
      `  node ${node.name}: ${node.status}, ${node.buildkit ?? "buildkit ?"}, ${node.platforms.length} platforms listed`,
  );
  const failures = report.platforms.filter((p) => !p.proven).map((p) => `  ${p.platform}: ${p.reason ?? "not proven"}`);
  const binfmt = report.binfmt.ok
    ? "binfmt: ok"
    : `binfmt: ${report.binfmt.platforms
        .filter((p) => !p.ok)
        .map((p) => `${p.platform} ${p.action}`)
        .join(", ")}`;
  const head = `builder ${report.builder} (${report.driver})${report.created ? ", created" : ""}${report.refreshed ? ", refreshed" : ""}${report.used ? ", made current" : ""}`;
  const verdict = report.ok
    ? `buildx: all ${report.platforms.length} platforms proven`
    : "buildx: some platforms not proven";
  return `${[head, ...nodes, binfmt, ...table, ...failures, ...report.warnings.map((w) => `warning: ${w}`), `${report.dryRun ? "(dry run) " : ""}${verdict}`].join("\n")}\n`;
}
