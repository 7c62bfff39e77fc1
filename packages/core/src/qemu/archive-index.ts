/** One file a Release file lists, with its SHA256 and size. */
export interface IndexedFile {
  readonly sha256: string;
  readonly size: number;
}

/** What qus reads from a suite's (In)Release file. */
export interface ReleaseFile {
  readonly codename?: string;
  readonly suite?: string;
  readonly version?: string;
  readonly validUntil?: Date;
  /** Files by path relative to `dists/<suite>/`. */
  readonly sha256: ReadonlyMap<string, IndexedFile>;
}

/** A binary package's stanza in a Packages index, the fields qus uses. */
export interface PackageStanza {
  readonly package: string;
  readonly version: string;
  readonly architecture: string;
  readonly filename: string;
  readonly size: number;
  readonly sha256: string;
  readonly description?: string;
}

/** The signed text of a clear-signed InRelease file (without the armour and the signature). */
export function clearsignedBody(text: string): string {
  const start = text.indexOf("-----BEGIN PGP SIGNED MESSAGE-----");
  if (start < 0) return text;
  const body = text.indexOf("\n\n", start);
  const end = text.indexOf("\n-----BEGIN PGP SIGNATURE-----", body);
  return text
    .slice(body + 2, end < 0 ? undefined : end)
    .replace(/^- /gm, "")
    .concat("\n");
}

/** Parses a Release file's fields and its SHA256 list. */
export function parseRelease(text: string): ReleaseFile {
  const fields = new Map<string, string>();
  const sha256 = new Map<string, IndexedFile>();
  let inSha256 = false;
  for (const line of text.split("\n")) {
    if (/^[ \t]/.test(line)) {
      if (!inSha256) continue;
      const [hash, size, path] = line.trim().split(/\s+/);
      if (hash && size && path && /^[0-9a-f]{64}$/.test(hash)) sha256.set(path, { sha256: hash, size: Number(size) });
      continue;
    }
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    inSha256 = key === "SHA256";
    fields.set(key, line.slice(colon + 1).trim());
  }
  const validUntil = fields.get("Valid-Until");
  return {
    codename: fields.get("Codename"),
    suite: fields.get("Suite"),
    version: fields.get("Version"),
    validUntil: validUntil ? new Date(validUntil) : undefined,
    sha256,
  };
}

/** The stanzas of the named packages in a Packages index (others are skipped without being parsed). */
export function findPackageStanzas(text: string, names: readonly string[]): PackageStanza[] {
  const wanted = new Set(names);
  const found: PackageStanza[] = [];
  for (const stanza of text.split(/\n\n+/)) {
    const first = /^Package: (\S+)/.exec(stanza.trimStart());
    if (!first?.[1] || !wanted.has(first[1])) continue;
    const fields = new Map<string, string>();
    for (const line of stanza.split("\n")) {
      const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (match?.[1]) fields.set(match[1], match[2] ?? "");
    }
    const filename = fields.get("Filename");
    const sha256 = fields.get("SHA256");
    const size = Number(fields.get("Size"));
    if (!filename || !sha256 || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isFinite(size)) continue;
    found.push({
      package: first[1],
      version: fields.get("Version") ?? "",
      architecture: fields.get("Architecture") ?? "",
      filename,
      size,
      sha256,
      description: fields.get("Description"),
    });
  }
  return found;
}

/** A package version without its epoch (`1:10.0.6+ds-1` → `10.0.6+ds-1`), as Debian names its files. */
export function versionWithoutEpoch(version: string): string {
  return version.replace(/^\d+:/, "");
}
