import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hostCpu } from "../architectures.js";
import { onInterrupt } from "../cleanup.js";
import { QusError } from "../errors.js";
import { type Exec, execProcess } from "../exec.js";
import { targetByCpu } from "../targets.js";
import { systemDebianMirror } from "./apt-sources.js";
import type { PackageStanza } from "./archive-index.js";
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
import { readCandidates, readSignedRelease } from "./debian-index.js";
import { downloadFile, type Fetch } from "./download.js";
import { extractStaticEmulators } from "./extract.js";
import { formatQemuSource, parseQemuSource, type QemuSource } from "./source.js";

/** Debian's archive keyring, to check InRelease's signature with gpgv. */
export const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
/** The archive used when neither `--mirror` nor the machine's apt sources name one. */
export const DEFAULT_DEBIAN_MIRROR = "https://deb.debian.org/debian";

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
    const keyring = options.keyring ?? DEBIAN_KEYRING;
    const allowUnsigned = options.allowUnsigned ?? (options.env ?? process.env).QUS_QEMU_ALLOW_UNSIGNED === "1";
    const index = { exec, fetcher, mirror, source, sourceName, dir: partial, keyring, allowUnsigned };
    const { release, verifiedBy } = await readSignedRelease(index, warnings);
    const now = options.now?.() ?? new Date();
    if (release.validUntil && release.validUntil < now) {
      warnings.push(
        `${sourceName}'s InRelease was valid until ${release.validUntil.toISOString()}: the mirror may be stale`,
      );
    }
    const dists = `${mirror}/dists/${source.suite}`;
    const candidates = await readCandidates(release, dists, arch, sourceName, fetcher);
    const install: Install = { exec, fetcher, mirror, arch, hostArch, root, key, sourceName, partial, verifiedBy, now };
    const installed = await installFirst(install, candidates, warnings);
    if (installed) return installed;
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

/** Where and how {@link installFirst} puts a package's emulators into the cache. */
interface Install {
  readonly exec: Exec;
  readonly fetcher: Fetch;
  readonly mirror: string;
  readonly arch: string;
  readonly hostArch: string | undefined;
  /** The cache root, and the pointer's key there (`debian:trixie@arm64`). */
  readonly root: string;
  readonly key: string;
  readonly sourceName: string;
  /** The temporary folder beside the cache that everything is downloaded and unpacked into. */
  readonly partial: string;
  readonly verifiedBy: "gpgv" | "sha256";
  readonly now: Date;
}

/**
 * The first candidate package whose files hold static emulators, in the cache: found there already (another source
 * fetched the same version), or downloaded, unpacked and renamed into place. Undefined when none holds any.
 */
async function installFirst(
  install: Install,
  candidates: readonly PackageStanza[],
  warnings: readonly string[],
): Promise<QemuFetchResult | undefined> {
  const { exec, fetcher, mirror, arch, hostArch, root, key, sourceName, partial, verifiedBy, now } = install;
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
  return undefined;
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
