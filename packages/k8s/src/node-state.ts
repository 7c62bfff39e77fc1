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
  /** Asked-for platforms it has not proved. */
  readonly missing: readonly string[];
  /** The startup taint is still on the node. */
  readonly tainted: boolean;
  readonly ok: boolean;
}

/** A node's state against the platforms asked for (and the startup taint, when one is named). */
export function nodeStatus(node: NodeFacts, wanted: readonly string[], startupTaint?: string): NodeStatus {
  const proven = (node.annotations[PROVEN_ANNOTATION] ?? "").split(",").filter(Boolean);
  const missing = wanted.filter((platform) => !proven.includes(platform));
  const tainted = startupTaint !== undefined && node.taintKeys.includes(startupTaint);
  return {
    node: node.name,
    architecture: node.architecture,
    proven,
    provenAt: node.annotations[PROVEN_AT_ANNOTATION],
    missing,
    tainted,
    ok: missing.length === 0 && proven.length > 0 && !tainted,
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
