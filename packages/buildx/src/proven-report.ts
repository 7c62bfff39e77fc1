import type { PlatformReport, Report } from "@qus/core";
import type { BootstrapReport } from "./bootstrap-report.js";

/**
 * The kernel's report with the builder's proofs folded in: a platform the kernel runs but the builder did not
 * build is not ok, with the proof's reason and hint. What a per-platform report of a `qus buildx` run (JUnit, a
 * CI summary) should say.
 */
export function provenReport(report: BootstrapReport): Report {
  const platforms = report.binfmt.platforms.map((platform): PlatformReport => {
    const proof = report.platforms.find((candidate) => candidate.platform === platform.platform);
    if (!platform.ok || !proof || proof.proven || proof.native || report.dryRun) return platform;
    return {
      ...platform,
      ok: false,
      verification: `the builder ${report.builder} did not build it: ${proof.reason ?? "not proven"}`,
      ...(proof.failure ? { failure: proof.failure } : {}),
      ...(proof.hint ? { hint: proof.hint } : {}),
    };
  });
  return { ...report.binfmt, ok: platforms.every((platform) => platform.ok), platforms };
}
