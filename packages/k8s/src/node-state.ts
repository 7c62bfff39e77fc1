import { type PlatformReport, resolvePlatforms, type Target } from "@qus/core";
import { canonicalPlatform, cpuOfEngineArch, nativePlatformReport, ownArchitecture } from "@qus/core/toolkit";
import { LABEL_PREFIX } from "./manifest.js";

/**
 * What a node says about emulation, in its labels and annotations: written by the labeller, read by `qus k8s
 * status` and by schedulers (`nodeSelector: { qus.dev/arm64: proven }`).
 */

/** Annotation: the platforms the node proved last, comma separated. */
export const PROVEN_ANNOTATION = `${LABEL_PREFIX}/proven`;
/** Annotation: when it proved them (RFC 3339). */
export const PROVEN_AT_ANNOTATION = `${LABEL_PREFIX}/proven-at`;
/** Value of each per-platform label. */
export const PROVEN_VALUE = "proven";

/** The node label of a platform: `qus.dev/arm64`, `qus.dev/arm-v7` (a label name may not hold `/`). */
export function platformLabel(platform: string): string {
  return `${LABEL_PREFIX}/${platform.replace(/^linux\//, "").replaceAll("/", "-")}`;
}

/** What the keeper wrote: `<unix seconds> <platform>...`; undefined when the file is empty or not of that shape. */
export function parseProvenFile(text: string): { readonly at: Date; readonly platforms: string[] } | undefined {
  const [seconds, ...platforms] = text.trim().split(/\s+/);
  if (!seconds || !/^\d+$/.test(seconds)) return undefined;
  return { at: new Date(Number(seconds) * 1000), platforms: platforms.filter((word) => word.includes("/")) };
}

/** A node as far as qus reads it. */
export interface NodeFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly taintKeys: readonly string[];
  readonly architecture?: string;
}

/** One node's emulation state, for `qus k8s status`. */
export interface NodeStatus {
  readonly node: string;
  readonly architecture?: string;
  /** Platforms the node proved last (its annotation), empty when qus never ran there. */
  readonly proven: readonly string[];
  readonly provenAt?: string;
  /** Asked-for platforms it has not proved and does not run natively (core's rule: the node's own architecture). */
  readonly missing: readonly string[];
  /** The startup taint is still on the node. */
  readonly tainted: boolean;
  readonly ok: boolean;
  /** Each platform asked for, in core's report model: native, proven by the node's keeper, or not. */
  readonly platforms: readonly PlatformReport[];
}

/** The target a platform's name resolves to in core, or undefined for a name core does not know. */
function targetOf(name: string): Target | undefined {
  try {
    const targets = resolvePlatforms(name);
    return targets.length === 1 ? targets[0] : undefined;
  } catch {
    return undefined;
  }
}

/** A platform's canonical name in core (`arm64` → `linux/arm64`); a name core does not know stays as written. */
export function canonicalName(name: string): string {
  const target = targetOf(name);
  return target ? canonicalPlatform(target) : name;
}

/** Why a platform needs no proof on a node: core's native rule for the node's architecture; undefined otherwise. */
export function nativeOnNode(platform: string, architecture: string | undefined): string | undefined {
  const target = targetOf(platform);
  const cpu = architecture ? cpuOfEngineArch(architecture) : undefined;
  return target && ownArchitecture(cpu, target.cpu, "the node's", architecture)?.reason;
}

/** The platforms asked for that a node has neither proved nor runs natively, canonical. */
export function unprovenOn(
  wanted: readonly string[],
  proven: readonly string[],
  architecture: string | undefined,
): string[] {
  const have = new Set(proven.map(canonicalName));
  return wanted
    .map(canonicalName)
    .filter((platform) => !have.has(platform) && nativeOnNode(platform, architecture) === undefined);
}

/** A node's state against the platforms asked for (and the startup taint, when one is named). */
export function nodeStatus(node: NodeFacts, wanted: readonly string[], startupTaint?: string): NodeStatus {
  const proven = (node.annotations[PROVEN_ANNOTATION] ?? "").split(",").filter(Boolean);
  const provenAt = node.annotations[PROVEN_AT_ANNOTATION];
  const missing = unprovenOn(wanted, proven, node.architecture);
  const tainted = startupTaint !== undefined && node.taintKeys.includes(startupTaint);
  return {
    node: node.name,
    architecture: node.architecture,
    proven,
    provenAt,
    missing,
    tainted,
    ok: missing.length === 0 && proven.length > 0 && !tainted,
    platforms: wanted.map((platform) => platformLine(platform, node, missing, provenAt)),
  };
}

/** One platform on a node as core's report line; the node's table itself is not read, so its entry is `unknown`. */
function platformLine(
  name: string,
  node: NodeFacts,
  missing: readonly string[],
  provenAt: string | undefined,
): PlatformReport {
  const target = targetOf(name);
  const native = nativeOnNode(name, node.architecture);
  if (target && native) return nativePlatformReport(target, native);
  const platform = canonicalName(name);
  const ok = !missing.includes(platform);
  return {
    platform,
    cpu: target?.cpu ?? "",
    before: "unknown",
    action: "none",
    after: "unknown",
    verified: ok ? true : null,
    reasons: [
      ok ? `proven by the node's keeper${provenAt ? ` at ${provenAt}` : ""}` : "the node's keeper has not proved it",
    ],
    ok,
  };
}

/**
 * The merge patch that makes a node say what it proved: a label per proven platform, labels of platforms it no
 * longer proves removed, the two annotations. `labels: false` writes the annotations only.
 */
export function labelPatch(
  node: NodeFacts,
  proven: { readonly at: Date; readonly platforms: readonly string[] },
  labels = true,
): Record<string, unknown> {
  const wantedLabels = new Set(proven.platforms.map(platformLabel));
  const labelChanges: Record<string, string | null> = {};
  if (labels) {
    for (const key of wantedLabels) labelChanges[key] = PROVEN_VALUE;
    for (const [key, value] of Object.entries(node.labels)) {
      if (key.startsWith(`${LABEL_PREFIX}/`) && value === PROVEN_VALUE && !wantedLabels.has(key))
        labelChanges[key] = null;
    }
  }
  return {
    metadata: {
      ...(Object.keys(labelChanges).length > 0 ? { labels: labelChanges } : {}),
      annotations: {
        [PROVEN_ANNOTATION]: proven.platforms.join(","),
        [PROVEN_AT_ANNOTATION]: proven.at.toISOString(),
      },
    },
  };
}
