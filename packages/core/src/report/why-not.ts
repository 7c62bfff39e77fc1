import type { PlatformReport } from "./model.js";

/** Why a platform is not ok, in one line for an adapter's error: its error, else its verification, else its reasons. */
export function whyNotOk(platform: PlatformReport): string {
  return platform.error?.message ?? platform.verification ?? (platform.reasons.join("; ") || "not verified");
}
