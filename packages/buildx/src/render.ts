import { renderTable, type TableOptions } from "@qus/core";
import { printable } from "@qus/core/toolkit";
import type { BootstrapReport, PlatformProof } from "./bootstrap-report.js";

/**
 * The bootstrap report for people: the builder and its nodes, binfmt as `qus ensure` shows it (core's table), a
 * line per platform (proven or not, and why), the warnings and a one-line verdict.
 */
export function renderBootstrap(report: BootstrapReport, options: TableOptions = { color: false }): string {
  // Names, states and errors come from buildx and the engines: shown escaped, never obeyed (core's tables do the same).
  const head = `builder ${printable(report.builder)} (${printable(report.driver)})${report.created ? ", created" : ""}${report.refreshed ? ", refreshed" : ""}${report.used ? ", made current" : ""}`;
  const nodes = report.nodes.map(
    (node) =>
      `  node ${printable(node.name)}: ${printable(node.status)}, ${printable(node.buildkit ?? "buildkit ?")}, ${node.platforms.length} platforms listed`,
  );
  const verdict = !report.ok
    ? "buildx: some platforms not proven"
    : report.dryRun
      ? `buildx: ${report.platforms.length} platforms to prove`
      : `buildx: all ${report.platforms.length} platforms proven`;
  return [
    head,
    ...(report.reason ? [`  why this builder: ${printable(report.reason)}`] : []),
    ...nodes,
    renderTable(report.binfmt, options).trimEnd(),
    ...report.nodeBinfmt.map((node) =>
      node.report
        ? `binfmt on node ${printable(node.node)} (${printable(node.endpoint)}):\n${renderTable(node.report, options).trimEnd()}`
        : printable(
            `binfmt on node ${node.node} (${node.endpoint}): error ${node.error?.code}: ${node.error?.message}${node.error?.hint ? ` (hint: ${node.error.hint})` : ""}`,
          ),
    ),
    ...report.platforms.map((proof) => (report.dryRun ? `${proof.platform}: to prove` : proofLine(proof))),
    ...report.warnings.map((warning) => `warning: ${printable(warning)}`),
    `${report.dryRun ? "(dry run) " : ""}${verdict}\n`,
  ].join("\n");
}

/** `linux/arm64: proven`, `linux/s390x: NOT proven, listed: <why> (hint: ...)`. */
function proofLine(proof: PlatformProof): string {
  const facts = [
    proof.proven ? "proven" : "NOT proven",
    ...(proof.native ? ["native"] : []),
    proof.listed ? "listed" : "not listed",
  ].join(", ");
  const why = !proof.proven && proof.reason ? `: ${proof.reason}` : "";
  const detail = proof.detail && !proof.reason?.includes(proof.detail) ? ` (${proof.detail})` : "";
  return printable(`${proof.platform}: ${facts}${why}${detail}${proof.hint ? ` (hint: ${proof.hint})` : ""}`);
}
