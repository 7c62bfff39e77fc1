import { existsSync, rmSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { hostCpu } from "../architectures.js";
import { onInterrupt } from "../cleanup.js";
import { QusError } from "../errors.js";
import { type Exec, execProcess } from "../exec.js";
import { targetByCpu } from "../targets.js";
import { systemDebianMirror } from "./apt-sources.js";
import { clearsignedBody, findPackageStanzas, type PackageStanza, parseRelease } from "./archive-index.js";
import {
  type CachedQemu,
  cacheFolderName,
  ensureCacheRoot,
  installFolder,
  META_FILE,
  PARTIAL_PREFIX,
  qemuCacheRoot,
  readCached,
  readPointer,
  removeStalePartials,
  writePointer,
} from "./cache.js";
import { downloadFile, downloadText, type Fetch } from "./download.js";
import { extractStaticEmulators } from "./extract.js";
import { formatQemuSource, KNOWN_DEBIAN_SUITES, parseQemuSource, type QemuSource } from "./source.js";

/** Debian's archive keyring, to check InRelease's signature with gpgv. */
export const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
/** The archive used when neither `--mirror` nor the machine's apt sources name one. */
export const DEFAULT_DEBIAN_MIRROR = "https://deb.debian.org/debian";
/** Packages tried in order; the first whose files hold static emulators is used (trixie's qemu-user-static is transitional). */
export const QEMU_PACKAGES = ["qemu-user-static", "qemu-user"] as const;

/** Options of {@link fetchQemu}. */
export interface QemuFetchOptions {
  /** `debian:<suite>`, as the user writes it, or parsed. */
  readonly source: string | QemuSource;
  /** The archive's base URL (`http://deb.debian.org/debian`); by default the one the machine's apt sources name. */
  readonly mirror?: string;
  /** Debian architecture of the emulators; this machine's by default. */
  readonly arch?: string;
  /** Cache root; {@link qemuCacheRoot} by default. */
  readonly cacheRoot?: string;
  /** Ask the archive again even when this source was fetched before (downloads only if its version changed). */
  readonly refresh?: boolean;
  /** Keyring to check InRelease with; {@link DEBIAN_KEYRING} by default. Absent: only SHA256s are checked. */
  readonly keyring?: string;
  /**
   * Accept an InRelease whose signature cannot be checked (no gpgv or no keyring) from a plain http:// mirror, where
   * nothing else vouches for it. Off by default; `QUS_QEMU_ALLOW_UNSIGNED=1` in `env` turns it on.
   */
  readonly allowUnsigned?: boolean;
  readonly exec?: Exec;
  /** HTTP client; `fetch` by default. */
  readonly fetch?: Fetch;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
}

/** What {@link fetchQemu} produced: a cache folder of static emulators. */
export interface QemuFetchResult extends CachedQemu {
  /** Found in the cache: nothing was downloaded. */
  readonly cached: boolean;
  readonly warnings: readonly string[];
}

/** This machine's Debian architecture (`amd64`, `arm64`), if Debian has one. */
export function hostDebianArch(): string | undefined {
  const cpu = hostCpu();
  return cpu ? targetByCpu(cpu)?.debianArch : undefined;
}

/**
 * Fetches one Debian suite's QEMU user-mode emulators into qus's cache: InRelease (its signature checked with gpgv
 * and Debian's keyring when present), the Packages index (SHA256 from InRelease), the package (SHA256 from the
 * index), unpacked into a temporary folder beside the cache and renamed into place, so nothing half-written is
 * ever used. A source fetched before is a cache hit without network unless `refresh`.
 */
export async function fetchQemu(options: QemuFetchOptions): Promise<QemuFetchResult> {
  const source = typeof options.source === "string" ? parseQemuSource(options.source) : options.source;
  const sourceName = formatQemuSource(source);
  const hostArch = hostDebianArch();
  const arch = options.arch ?? hostArch;
  if (!arch) {
    throw new QusError("QUS_QEMU_PACKAGE_MISSING", `Debian has no architecture for this ${process.arch} machine`, {
      hint: "install QEMU's static emulators another way and pass --qemu-path DIR",
    });
  }
  const mirror = mirrorOf(options);
  const root = options.cacheRoot ?? qemuCacheRoot(options.env);
  const key = `${sourceName}@${arch}`;
  if (!options.refresh) {
    const pointer = readPointer(root, key);
    const hit = pointer ? readCached(join(root, pointer)) : undefined;
    // The source asked for: another suite name (stable, trixie) may have fetched the same folder first.
    if (hit) return { ...hit, source: sourceName, cached: true, warnings: [] };
  }
  ensureCacheRoot(root);
  removeStalePartials(root);
  const exec = options.exec ?? execProcess;
  const fetcher = options.fetch ?? fetch;
  const partial = await mkdtemp(join(root, PARTIAL_PREFIX));
  const forget = onInterrupt(() => rmSyncQuiet(partial));
  try {
    const warnings: string[] = [];
    const dists = `${mirror}/dists/${source.suite}`;
    const inRelease = await downloadText(`${dists}/InRelease`, { timeoutMs: 60_000, maxBytes: 16 << 20 }, fetcher);
    if (!inRelease) {
      throw new QusError(
        "QUS_QEMU_SOURCE_UNKNOWN",
        `Debian's archive at ${mirror} has no suite ${JSON.stringify(source.suite)}`,
        {
          hint: `name a suite it serves, e.g. ${KNOWN_DEBIAN_SUITES.map((name) => `debian:${name}`).join(", ")}`,
        },
      );
    }
    const { text: releaseText, verifiedBy } = await verifyInRelease(
      exec,
      inRelease,
      partial,
      options.keyring ?? DEBIAN_KEYRING,
    );
    const allowUnsigned = options.allowUnsigned ?? (options.env ?? process.env).QUS_QEMU_ALLOW_UNSIGNED === "1";
    if (verifiedBy === "sha256" && mirror.startsWith("http://") && !allowUnsigned) {
      throw new QusError(
        "QUS_QEMU_FETCH_FAILED",
        `cannot check the signature of ${sourceName}'s InRelease (no gpgv or no ${options.keyring ?? DEBIAN_KEYRING}), and ${mirror} is plain http: nothing vouches for what it serves`,
        {
          hint: "install gpgv and debian-archive-keyring, or use an https:// --mirror (or, knowingly, set QUS_QEMU_ALLOW_UNSIGNED=1)",
        },
      );
    }
    if (verifiedBy === "sha256") {
      warnings.push(
        `InRelease's signature was not checked (no gpgv or no ${options.keyring ?? DEBIAN_KEYRING}): only SHA256s were`,
      );
    }
    const release = parseRelease(releaseText);
    // A signed index of another suite (an older one, replayed) is not the one asked for.
    if (release.suite !== source.suite && release.codename !== source.suite) {
      throw new QusError(
        "QUS_QEMU_FETCH_FAILED",
        `${mirror} answered ${sourceName} with the index of ${release.codename ?? release.suite ?? "an unnamed suite"}`,
        { hint: "the mirror is misconfigured or not to be trusted: use another --mirror" },
      );
    }
    const now = options.now?.() ?? new Date();
    if (release.validUntil && release.validUntil < now) {
      warnings.push(
        `${sourceName}'s InRelease was valid until ${release.validUntil.toISOString()}: the mirror may be stale`,
      );
    }
    const candidates = await readCandidates(release, dists, arch, sourceName, fetcher);
    const partialOut = join(partial, "out");
    for (const stanza of candidates) {
      const name = cacheFolderName(stanza.version, arch, hostArch);
      const existing = readCached(join(root, name));
      if (existing) {
        writePointer(root, key, name);
        return { ...existing, source: sourceName, cached: true, warnings };
      }
      // A fixed name: the index's Filename could collide with qus's own files in the folder.
      const deb = join(partial, "package.deb");
      await downloadFile(
        `${mirror}/${stanza.filename}`,
        deb,
        { timeoutMs: 900_000, maxBytes: stanza.size, sha256: stanza.sha256 },
        fetcher,
      );
      const emulators = await extractStaticEmulators(exec, deb, join(partial, `x-${stanza.package}`), partialOut);
      await rm(deb, { force: true });
      if (emulators.length === 0) continue;
      const qemuVersion = arch === hostArch ? await versionOf(exec, partialOut, emulators) : undefined;
      const meta: Omit<CachedQemu, "folder"> = {
        source: sourceName,
        package: stanza.package,
        packageVersion: stanza.version,
        architecture: arch,
        qemuVersion: qemuVersion ?? `${stanza.package} ${stanza.version}`,
        emulators,
        mirror,
        verifiedBy,
        fetchedAt: now.toISOString(),
      };
      await writeFile(join(partialOut, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
      const folder = join(root, name);
      installFolder(partialOut, folder);
      writePointer(root, key, name);
      return { ...meta, folder, cached: false, warnings };
    }
    throw new QusError(
      "QUS_QEMU_PACKAGE_MISSING",
      `${sourceName} has no static QEMU emulators for ${arch} (${candidates.map((s) => `${s.package} ${s.version}`).join(", ")} hold none)`,
      { hint: "choose another suite, e.g. --qemu-from debian:trixie" },
    );
  } finally {
    forget();
    // Nothing half-written is kept: downloads and unpacked files live only in this folder.
    await rm(partial, { recursive: true, force: true });
  }
}

function mirrorOf(options: QemuFetchOptions): string {
  const mirror = (options.mirror ?? systemDebianMirror() ?? DEFAULT_DEBIAN_MIRROR).replace(/\/+$/, "");
  let url: URL | undefined;
  try {
    url = new URL(mirror);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new QusError("QUS_USAGE", `--mirror ${JSON.stringify(mirror)}: an http:// or https:// URL is expected`, {
      hint: `for example --mirror ${DEFAULT_DEBIAN_MIRROR}`,
    });
  }
  return mirror;
}

/** InRelease's signed text: through gpgv with the keyring when both are there, else the clear-signed body. */
async function verifyInRelease(
  exec: Exec,
  inRelease: Buffer,
  dir: string,
  keyring: string,
): Promise<{ text: string; verifiedBy: "gpgv" | "sha256" }> {
  if (!existsSync(keyring)) return { text: clearsignedBody(inRelease.toString("utf8")), verifiedBy: "sha256" };
  const signed = join(dir, "InRelease");
  const output = join(dir, "Release");
  await writeFile(signed, inRelease);
  const result = await exec("gpgv", ["--keyring", keyring, "--output", output, signed], { timeoutMs: 60_000 });
  if (result.startError === "ENOENT")
    return { text: clearsignedBody(inRelease.toString("utf8")), verifiedBy: "sha256" };
  if (result.timedOut || result.signal) {
    throw new QusError(
      "QUS_QEMU_FETCH_FAILED",
      `gpgv did not finish checking InRelease (${result.timedOut ? "timed out after 60 s" : `killed by ${result.signal}`})`,
      {
        hint: "check gpgv (gpgv --version), then try again",
      },
    );
  }
  if (result.exitCode !== 0) {
    const detail = result.stderr.trim().split("\n").slice(-1)[0] ?? "";
    throw new QusError("QUS_QEMU_FETCH_FAILED", `InRelease's signature does not check out with ${keyring}: ${detail}`, {
      hint: "the mirror serves an index Debian did not sign (or the keyring is old: apt-get install debian-archive-keyring)",
    });
  }
  return { text: await readFile(output, "utf8"), verifiedBy: "gpgv" };
}

/** The QEMU packages for `arch` in the suite's Packages index, in {@link QEMU_PACKAGES} order. */
async function readCandidates(
  release: ReturnType<typeof parseRelease>,
  dists: string,
  arch: string,
  sourceName: string,
  fetcher: Fetch,
): Promise<PackageStanza[]> {
  const path = `main/binary-${arch}/Packages.gz`;
  const indexed = release.sha256.get(path);
  if (!indexed) {
    throw new QusError(
      "QUS_QEMU_PACKAGE_MISSING",
      `${sourceName} has no packages for ${arch} (InRelease lists no ${path})`,
      {
        hint: `choose a suite that ships ${arch}, e.g. --qemu-from debian:trixie`,
      },
    );
  }
  const body = await downloadText(
    `${dists}/${path}`,
    { timeoutMs: 300_000, maxBytes: indexed.size, sha256: indexed.sha256 },
    fetcher,
  );
  if (!body) {
    throw new QusError("QUS_QEMU_FETCH_FAILED", `${dists}/${path} is listed in InRelease but the mirror has none`, {
      hint: "the mirror may be mid-sync: try again later, or another --mirror",
    });
  }
  let text: string;
  try {
    // Debian's largest Packages index unpacks to about 100 MiB: four times that is no index.
    text = gunzipSync(body, { maxOutputLength: 400 << 20 }).toString("utf8");
  } catch (error) {
    throw new QusError("QUS_QEMU_FETCH_FAILED", `${dists}/${path} does not unpack as a Packages index`, {
      hint: "the mirror serves something other than Debian's index: try another --mirror",
      cause: error,
    });
  }
  const stanzas = findPackageStanzas(text, QEMU_PACKAGES).filter((stanza) => stanza.architecture === arch);
  const ordered = QEMU_PACKAGES.flatMap((name) => stanzas.filter((stanza) => stanza.package === name).slice(0, 1));
  if (ordered.length === 0) {
    throw new QusError(
      "QUS_QEMU_PACKAGE_MISSING",
      `${sourceName} has neither ${QEMU_PACKAGES.join(" nor ")} for ${arch}`,
      {
        hint: "choose another suite, e.g. --qemu-from debian:trixie",
      },
    );
  }
  return ordered;
}

/** First line of an emulator's `--version` (aarch64's when there, else the first one's). */
async function versionOf(exec: Exec, dir: string, emulators: readonly string[]): Promise<string | undefined> {
  const name = emulators.includes("qemu-aarch64-static") ? "qemu-aarch64-static" : emulators[0];
  if (!name) return undefined;
  const result = await exec(join(dir, name), ["--version"], { timeoutMs: 10_000 });
  const line = result.stdout.split("\n")[0]?.trim();
  return result.exitCode === 0 && line ? line : undefined;
}

/** Interrupt clean-ups are synchronous. */
function rmSyncQuiet(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
