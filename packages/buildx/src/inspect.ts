/** One node of a builder, as `buildx inspect` shows it. */
export interface BuilderNode {
  readonly name: string;
  readonly status: string;
  readonly endpoint?: string;
  readonly buildkit?: string;
  /** Every platform listed, preferred (starred) ones included, stars removed. */
  readonly platforms: readonly string[];
  /** Platforms marked with `*`: set by the user, run natively or preferred. */
  readonly preferred: readonly string[];
  /** `Error:` lines buildx printed for the node. */
  readonly errors: readonly string[];
}

/** A builder, as `buildx inspect` shows it. */
export interface BuilderInfo {
  readonly name: string;
  readonly driver: string;
  readonly nodes: readonly BuilderNode[];
}

/**
 * Parses `docker buildx inspect`. The structure comes from @docker/actions-toolkit's Builder.parseInspect;
 * two of its quirks are corrected here: it keeps only the starred platforms when any is starred, and it drops
 * `Error:` lines.
 */
export async function parseInspect(stdout: string): Promise<BuilderInfo> {
  // Loaded on demand: the toolkit pulls in the GitHub Actions libraries, which only this path needs.
  const { Builder } = await import("@docker/actions-toolkit/lib/buildx/builder.js");
  const parsed = Builder.parseInspect(stdout);
  const extra = nodeLines(stdout);
  return {
    name: parsed.name ?? "",
    driver: parsed.driver ?? "",
    nodes: parsed.nodes.map((node, i) => {
      const lines = extra[i] ?? { platforms: [], preferred: [], errors: [] };
      return {
        name: node.name ?? "",
        status: node.status ?? "unknown",
        endpoint: node.endpoint,
        buildkit: node.buildkit,
        platforms: lines.platforms,
        preferred: lines.preferred,
        errors: lines.errors,
      };
    }),
  };
}

/** Per node (in order): all platforms, starred ones, and error lines, read straight from the text. */
export function nodeLines(stdout: string): { platforms: string[]; preferred: string[]; errors: string[] }[] {
  const nodes: { platforms: string[]; preferred: string[]; errors: string[] }[] = [];
  let inNodes = false;
  for (const line of stdout.split("\n")) {
    // Only unindented keys are the node's own: indented ones belong to Labels, Devices (whose " Name:" is a
    // device, not a node), GC policy rules or files.
    if (/^\s/.test(line)) continue;
    const [key = "", ...rest] = line.split(":");
    const value = rest.join(":").trim();
    if (key.trim() === "Nodes") inNodes = true;
    else if (inNodes && key.trim() === "Name") nodes.push({ platforms: [], preferred: [], errors: [] });
    const node = nodes.at(-1);
    if (!node) continue;
    if (key.trim() === "Platforms" && value) {
      for (const item of value.split(",").map((platform) => platform.trim())) {
        const platform = item.replaceAll("*", "");
        node.platforms.push(platform);
        if (item.includes("*")) node.preferred.push(platform);
      }
    } else if (key.trim() === "Error") node.errors.push(value);
  }
  return nodes;
}

/** The names of a builder's nodes, in order, read straight from `buildx inspect` (synchronously). */
export function nodeNames(stdout: string): string[] {
  const names: string[] = [];
  let inNodes = false;
  for (const line of stdout.split("\n")) {
    if (/^\s/.test(line)) continue;
    const [key = "", ...rest] = line.split(":");
    if (key.trim() === "Nodes") inNodes = true;
    else if (inNodes && key.trim() === "Name") names.push(rest.join(":").trim());
  }
  return names;
}
