import type { PlatformReport } from "./model.js";

/** The columns the table and Markdown renderers show, in order. */
export const COLUMNS: readonly { readonly title: string; readonly value: (p: PlatformReport) => string }[] = [
  { title: "platform", value: (p) => p.platform },
  { title: "before", value: (p) => p.before },
  { title: "action", value: (p) => p.action },
  { title: "after", value: (p) => p.after },
  { title: "verified", value: (p) => (p.verified === null ? "-" : p.verified ? "yes" : "NO") },
  { title: "flags", value: (p) => p.flags ?? "" },
  { title: "interpreter", value: (p) => p.interpreter ?? "" },
  { title: "qemu", value: (p) => /version (\S+)/.exec(p.qemuVersion ?? "")?.[1] ?? "" },
];

/** Lines under the table: why a platform failed and what to do. */
export function notes(platforms: readonly PlatformReport[]): string[] {
  return platforms
    .filter((p) => !p.ok || p.hint || p.action === "conflict")
    .map((p) => {
      const why = [p.error?.message, ...p.reasons, p.verification].filter(Boolean).join("; ");
      return `${p.platform}: ${why}${p.hint ? ` (hint: ${p.hint})` : ""}`;
    });
}
