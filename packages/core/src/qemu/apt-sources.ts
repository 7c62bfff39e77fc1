import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Where the machine's apt sources are. */
export const APT_SOURCES = { list: "/etc/apt/sources.list", dir: "/etc/apt/sources.list.d" } as const;

/** Suite names of Debian's archive: a source naming one of these (or `<one>-updates`) is Debian's. */
const DEBIAN_SUITES =
  /^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldoldstable|oldstable|stable|testing|unstable|experimental)$/;

interface Source {
  readonly types: readonly string[];
  readonly uris: readonly string[];
  readonly suites: readonly string[];
  readonly enabled: boolean;
}

/** Parses a deb822 `.sources` file into its stanzas. */
export function parseDeb822Sources(text: string): Source[] {
  const sources: Source[] = [];
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split("\n")) {
      if (/^\s*#/.test(line) || line.trim() === "") continue;
      if (/^[ \t]/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
    const words = (name: string) => (fields.get(name) ?? "").split(/\s+/).filter(Boolean);
    if (fields.size === 0) continue;
    sources.push({
      types: words("types"),
      uris: words("uris"),
      suites: words("suites"),
      enabled: (fields.get("enabled") ?? "yes").toLowerCase() !== "no",
    });
  }
  return sources;
}

/** Parses one-line `sources.list` entries: `deb [options] URI SUITE COMPONENT...`. */
export function parseOneLineSources(text: string): Source[] {
  return text.split("\n").flatMap((raw) => {
    const line = raw
      .replace(/#.*/, "")
      .replace(/\[[^\]]*\]/, " ")
      .trim();
    const [type, uri, suite] = line.split(/\s+/);
    if (!type || !uri || !suite) return [];
    return [{ types: [type], uris: [uri], suites: [suite], enabled: true }];
  });
}

/**
 * The first archive the machine's apt sources name for Debian's own suites (not -security, not a vendor's
 * repository), e.g. `http://deb.debian.org/debian`; undefined when there is none (a host that is not Debian).
 */
export function debianMirrorOf(sources: readonly Source[]): string | undefined {
  for (const source of sources) {
    if (!source.enabled || !source.types.includes("deb")) continue;
    if (!source.suites.some((suite) => DEBIAN_SUITES.test(suite))) continue;
    const uri = source.uris.find((candidate) => /^https?:\/\//.test(candidate));
    if (uri) return uri.replace(/\/+$/, "");
  }
  return undefined;
}

/** The Debian archive this machine's apt sources name, if any. */
export function systemDebianMirror(paths: { list: string; dir: string } = APT_SOURCES): string | undefined {
  const sources: Source[] = [];
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return "";
    }
  };
  let names: string[] = [];
  try {
    names = readdirSync(paths.dir).sort();
  } catch {
    // No sources.list.d: only sources.list.
  }
  for (const name of names) {
    if (name.endsWith(".sources")) sources.push(...parseDeb822Sources(read(join(paths.dir, name))));
    else if (name.endsWith(".list")) sources.push(...parseOneLineSources(read(join(paths.dir, name))));
  }
  sources.push(...parseOneLineSources(read(paths.list)));
  return debianMirrorOf(sources);
}
