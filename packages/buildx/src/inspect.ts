/** One node of a builder, as `docker buildx inspect` shows it. */
export interface BuilderNode {
  readonly name: string;
  /** `running`, `inactive`, ...; `unknown` when buildx printed none (a node that failed shows an `Error:` instead). */
  readonly status: string;
  readonly endpoint?: string;
  /** BuildKit's version (`BuildKit version:`, `BuildKit:` or `Buildkit:`, by buildx version). */
  readonly buildkit?: string;
  /** Every platform listed, preferred (starred) ones included, stars removed. */
  readonly platforms: readonly string[];
  /** Platforms marked with `*`: set by the user, run natively or preferred. */
  readonly preferred: readonly string[];
  /** `Error:` lines buildx printed for the node. */
  readonly errors: readonly string[];
}

/** A builder, as `docker buildx inspect` shows it. */
export interface BuilderInfo {
  /** The builder's name; empty when buildx printed none. */
  readonly name: string;
  /** Its driver (`docker`, `docker-container`, `remote`, ...); empty when buildx printed none. */
  readonly driver: string;
  readonly nodes: readonly BuilderNode[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

/**
 * Parses the text of `docker buildx inspect [--bootstrap] NAME`: the builder's name and driver, then each node
 * (every unindented `Name:` after `Nodes:` starts one) with its endpoint, status, BuildKit version, platforms and
 * errors. Indented lines are skipped: they belong to Labels, Devices (whose ` Name:` is a device), Features, GC
 * policy rules or files. Keys buildx adds later are ignored; an empty text is a builder with no nodes.
 */
export function parseInspect(stdout: string): BuilderInfo {
  const builder: Mutable<Omit<BuilderInfo, "nodes">> = { name: "", driver: "" };
  const nodes: Mutable<BuilderNode>[] = [];
  let inNodes = false;
  for (const line of stdout.split("\n")) {
    const colon = line.indexOf(":");
    if (/^\s/.test(line) || colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const node = nodes.at(-1);
    if (key === "nodes") inNodes = true;
    else if (!inNodes) {
      if (key === "name") builder.name = value;
      else if (key === "driver") builder.driver = value;
    } else if (key === "name") {
      nodes.push({ name: value, status: "unknown", platforms: [], preferred: [], errors: [] });
    } else if (!node) {
      // Nothing between `Nodes:` and a node's `Name:` belongs to a node.
    } else if (key === "endpoint") node.endpoint = value;
    else if (key === "status") node.status = value;
    else if (key === "buildkit" || key === "buildkit version") node.buildkit = value;
    else if (key === "error") node.errors.push(value);
    else if (key === "platforms") {
      for (const item of value.split(",").map((platform) => platform.trim())) {
        if (!item) continue;
        const platform = item.replaceAll("*", "");
        node.platforms.push(platform);
        if (item.includes("*")) node.preferred.push(platform);
      }
    }
  }
  return { ...builder, nodes };
}
