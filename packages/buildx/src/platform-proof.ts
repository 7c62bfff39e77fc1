import type { Report, Target } from "@qus/core";
import type { ProbeFailureKind } from "@qus/core/runner";
import { canonicalPlatform, describeFailure, entryName, type FailureContext, failureHint } from "@qus/core/toolkit";
import type { PlatformProof } from "./bootstrap-report.js";
import type { BuilderInfo } from "./inspect.js";
import type { Proof } from "./prove.js";

/** Whether some node of the builder lists the platform. */
export function isListed(info: BuilderInfo, platform: string): boolean {
  return info.nodes.some((node) => node.platforms.includes(platform));
}

/** A platform's line of the report: its proof, and how it failed in core's words, from its binfmt entry. */
export function toPlatformProof(
  item: { platform: string; target: Target; listed: boolean; native: boolean },
  proof: Proof | undefined,
  binfmt: Report,
): PlatformProof {
  const { platform, listed, native } = item;
  if (proof?.proven) return { platform, listed, native, proven: true };
  const code = proof?.code ?? "QUS_EXEC_FAILED";
  if (!proof?.failure)
    return { platform, listed, native, proven: false, detail: proof?.detail, reason: proof?.detail, code };
  const context = failureContext(item.target, proof.failure, proof.detail, binfmt);
  return {
    platform,
    listed,
    native,
    proven: false,
    failure: proof.failure,
    detail: proof.detail,
    reason: describeFailure(context),
    hint: failureHint(context),
    code,
  };
}

/** What core's words need: the kind, and the target's entry as binfmt reported it on the builder's kernel. */
function failureContext(
  target: Target,
  failure: ProbeFailureKind,
  detail: string | undefined,
  binfmt: Report,
): FailureContext {
  const reported = binfmt.platforms.find((p) => p.cpu === target.cpu);
  const hasEntry = reported && (reported.after === "enabled" || reported.after === "disabled") && reported.interpreter;
  return {
    failure,
    detail,
    chrooted: true,
    platform: canonicalPlatform(target),
    entry: hasEntry
      ? {
          name: entryName(target),
          interpreter: reported.interpreter ?? "",
          flags: reported.flags ?? "",
          enabled: reported.after === "enabled",
        }
      : undefined,
  };
}
