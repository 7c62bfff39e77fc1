import { TARGETS } from "../targets.js";
import type { PlatformReport, Report } from "./model.js";

/** A column of the table and Markdown renderers. */
export interface Column {
  readonly title: string;
  readonly value: (p: PlatformReport) => string;
}

const verified = (p: PlatformReport) => (p.verified === null ? "-" : p.verified ? "yes" : "NO");
const qemu = (p: PlatformReport) => /version (\S+)/.exec(p.qemuVersion ?? "")?.[1] ?? "";

/** Every column, for commands that change the kernel: what was there, what was done, what is there now. */
export const COLUMNS: readonly Column[] = [
  { title: "platform", value: (p) => p.platform },
  { title: "before", value: (p) => p.before },
  { title: "action", value: (p) => p.action },
  { title: "after", value: (p) => p.after },
  { title: "verified", value: verified },
  { title: "flags", value: (p) => p.flags ?? "" },
  { title: "interpreter", value: (p) => p.interpreter ?? "" },
  { title: "qemu", value: qemu },
];

/** For commands that only look (status, verify): one state, no action. */
const LOOK_COLUMNS: readonly Column[] = [
  { title: "platform", value: (p) => p.platform },
  { title: "state", value: (p) => p.before },
  { title: "verified", value: verified },
  { title: "flags", value: (p) => p.flags ?? "" },
  { title: "interpreter", value: (p) => p.interpreter ?? "" },
  { title: "qemu", value: qemu },
];

/** The columns that mean something for a report's command. */
export function columnsOf(report: Pick<Report, "command">): readonly Column[] {
  return report.command === "status" || report.command === "verify" ? LOOK_COLUMNS : COLUMNS;
}

/**
 * Lines under the table: why a platform failed and what to do. Platforms that fail for the same reason with the
 * same fix (the hint differs only by the platform's name) share one line, the fix naming them all at once.
 */
export function notes(platforms: readonly PlatformReport[]): string[] {
  const groups = new Map<string, { why: string; template: string | undefined; members: PlatformReport[] }>();
  for (const p of platforms.filter((candidate) => !candidate.ok || candidate.hint || candidate.action === "conflict")) {
    const why = [p.error?.message, ...p.reasons, p.verification].filter(Boolean).join("; ") || stateWords(p);
    const template = p.hint?.split(p.platform).join("\u0000");
    const key = `${why}\u0001${template ?? ""}`;
    const group = groups.get(key) ?? { why, template, members: [] };
    group.members.push(p);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ why, template, members }) => {
    const [only] = members;
    if (members.length === 1 && only) return `${only.platform}: ${why}${only.hint ? ` (hint: ${only.hint})` : ""}`;
    const hint = template === undefined ? "" : ` (hint: ${groupHint(template, members, platforms)})`;
    return `${members.length} platforms: ${why}${hint}`;
  });
}

/** Why a platform is not ok when nothing else says: its entry's state (a status that verifies nothing). */
function stateWords(p: PlatformReport): string {
  if (p.after === "disabled") return "its entry is disabled";
  if (p.after === "absent") return "no entry is registered";
  return p.ok ? "" : "not ok";
}

/** A hint for several platforms: their names at once (`all` when they are every target), `it` made `them`. */
function groupHint(template: string, members: readonly PlatformReport[], platforms: readonly PlatformReport[]): string {
  const everyTarget = platforms.length === TARGETS.length && members.length === platforms.filter((p) => !p.ok).length;
  const names = everyTarget ? "all" : members.map((p) => p.platform).join(",");
  return template.split("\u0000").join(names).replace(/\bit:/, "them:");
}
