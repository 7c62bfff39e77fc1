import { dirname } from "node:path";
import { padded, type TarHeader, TarParser } from "./tar-stream.js";

/**
 * What Docker's init layer puts over every container's file system (daemon/initlayer): empty placeholders for the
 * files it bind-mounts at start, the mount points, and /etc/mtab. `docker export` shows them instead of the image's
 * own, so a disk made from an export takes these paths (and their folders) from the image's layers instead.
 */
export const INIT_LAYER_PATHS = [
  "dev/pts",
  "dev/shm",
  "proc",
  "sys",
  ".dockerenv",
  "etc/resolv.conf",
  "etc/hosts",
  "etc/hostname",
  "dev/console",
  "etc/mtab",
] as const;

/** The init layer's paths and every folder above them, parents first. */
export const SHADOWED_PATHS: readonly string[] = [
  ...new Set(INIT_LAYER_PATHS.flatMap((path) => [...ancestors(path).reverse(), path])),
];

/** One member of an image's own, as its layer holds it: header blocks and padded data, ready to pass to tar. */
export interface OwnMember {
  readonly path: string;
  readonly bytes: Buffer;
}

/** Most bytes of one shadowed file kept in memory (/etc/hosts and its like are a few hundred bytes). */
const MEMBER_LIMIT = 4 * 2 ** 20;

/**
 * Reads `docker save`'s archive as it streams (nothing is written to disk) and keeps, for each layer, what it says
 * of the shadowed paths: members at them, whiteouts of them or their folders, opaque markers of their folders.
 * `result()` resolves each path through the layers, top layer first, as the engine's overlay does.
 */
export class ImageOwnFiles {
  private readonly layers = new Map<string, LayerFacts>();
  private manifest: Buffer[] = [];
  private manifestSize = 0;
  private readonly outer: TarParser;
  private inner: { name: string; parser: TarParser | undefined } | undefined;

  constructor() {
    this.outer = new TarParser({
      member: (header) => this.outerMember(header),
      data: (chunk) => this.outerData(chunk),
      end: () => {},
    });
  }

  /** Feeds the next bytes of `docker save`'s output. */
  push(chunk: Buffer): void {
    this.outer.push(chunk);
  }

  /** The image's own members at the shadowed paths, parents first; a path the image lacks is left out. */
  result(): OwnMember[] {
    const order = layerOrder(Buffer.concat(this.manifest).subarray(0, this.manifestSize).toString("utf8"));
    const facts = order.map((name) => this.layers.get(name));
    if (facts.some((layer) => layer === undefined)) {
      throw new Error(`docker save's archive lacks a layer its manifest names (${order.join(", ")})`);
    }
    const top = (facts as LayerFacts[]).reverse();
    return SHADOWED_PATHS.flatMap((path) => {
      const member = resolve(top, path);
      return member ? [{ path, bytes: member }] : [];
    });
  }

  private outerMember(header: TarHeader): void {
    const name = header.path;
    if (name === "manifest.json") {
      if (header.size > MEMBER_LIMIT) throw new Error(`its manifest.json has ${header.size} bytes`);
      this.inner = { name, parser: undefined };
      this.manifestSize = header.size;
      return;
    }
    const facts = new LayerFacts();
    this.layers.set(name, facts);
    this.inner = { name, parser: facts.parser() };
  }

  private outerData(chunk: Buffer): void {
    if (!this.inner) return;
    if (this.inner.name === "manifest.json") {
      // Data comes padded to whole blocks: the size cuts it back.
      this.manifest.push(chunk);
      return;
    }
    try {
      this.inner.parser?.push(chunk);
    } catch {
      // Not a layer (a config JSON, a blob of the OCI layout that is not a tar): nothing to learn from it.
      this.layers.delete(this.inner.name);
      this.inner.parser = undefined;
    }
  }
}

/** What one layer says of the shadowed paths. */
class LayerFacts {
  readonly members = new Map<string, Buffer>();
  readonly whiteouts = new Set<string>();
  readonly opaque = new Set<string>();

  parser(): TarParser {
    let current: { path: string; chunks: Buffer[]; size: number } | undefined;
    return new TarParser({
      member: (header) => {
        current = undefined;
        const base = header.path.split("/").pop() ?? "";
        const folder = dirname(header.path) === "." ? "" : dirname(header.path);
        if (base === ".wh..wh..opq") this.opaque.add(folder);
        else if (base.startsWith(".wh.")) this.whiteouts.add(folder ? `${folder}/${base.slice(4)}` : base.slice(4));
        else if (SHADOWED_PATHS.includes(header.path)) {
          if (header.size > MEMBER_LIMIT) throw new Error(`${header.path} is larger than ${MEMBER_LIMIT} bytes`);
          current = { path: header.path, chunks: [header.raw], size: header.size };
          this.members.set(header.path, Buffer.concat(current.chunks));
          if (header.size === 0) current = undefined;
        }
      },
      data: (chunk) => {
        if (!current) return;
        current.chunks.push(chunk);
        this.members.set(current.path, Buffer.concat(current.chunks));
      },
      end: () => {},
    });
  }
}

/** The member at `path` in the topmost layer that has it, unless a layer above hides it; layers top first. */
function resolve(top: readonly LayerFacts[], path: string): Buffer | undefined {
  const above = ancestors(path);
  for (const layer of top) {
    const member = layer.members.get(path);
    if (member) return complete(member);
    if ([path, ...above].some((hidden) => layer.whiteouts.has(hidden))) return undefined;
    if (above.some((folder) => layer.opaque.has(folder))) return undefined;
  }
  return undefined;
}

/** A member's bytes padded to whole blocks (its data may have ended mid-block in the last chunk kept). */
function complete(bytes: Buffer): Buffer {
  return bytes.length === padded(bytes.length)
    ? bytes
    : Buffer.concat([bytes, Buffer.alloc(padded(bytes.length) - bytes.length)]);
}

/** `etc/ssl/certs` → `["etc/ssl", "etc"]`. */
function ancestors(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, parts.length - 1 - i).join("/"));
}

/** The layers of `docker save`'s manifest.json, bottom first. */
function layerOrder(manifest: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifest);
  } catch {
    throw new Error("docker save's archive has no readable manifest.json");
  }
  const layers = Array.isArray(parsed) ? (parsed[0] as { Layers?: unknown })?.Layers : undefined;
  if (!Array.isArray(layers) || !layers.every((layer) => typeof layer === "string")) {
    throw new Error("docker save's manifest.json names no layers");
  }
  return layers as string[];
}
