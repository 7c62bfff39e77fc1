import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../drivers/local/cache.js";
import { errnoCode, QusError } from "../errors.js";

/** The file in each cache folder that describes it; written before the folder is renamed into place. */
export const META_FILE = "qus-qemu.json";
const POINTERS_FILE = "suites.json";
/** Temporary folders beside the cache, renamed into place when complete. */
export const PARTIAL_PREFIX = ".partial-";

/** What a cache folder holds: one QEMU package's static emulators. */
export interface CachedQemu {
  /** The folder, to pass as `--qemu-path`. */
  readonly folder: string;
  /** Where it came from, as the user wrote it: `debian:trixie`. */
  readonly source: string;
  /** The Debian package the emulators came from, and its version (with epoch). */
  readonly package: string;
  readonly packageVersion: string;
  /** Debian architecture of the emulators (the machine they run on). */
  readonly architecture: string;
  /** First line of `qemu-<cpu>-static --version`, or the package's version where they cannot run here. */
  readonly qemuVersion: string;
  /** Emulator file names in the folder: `qemu-<cpu>-static`. */
  readonly emulators: readonly string[];
  readonly mirror: string;
  /** How the download was checked: `gpgv` (InRelease's signature, then SHA256s) or `sha256` (SHA256s only). */
  readonly verifiedBy: "gpgv" | "sha256";
  /** ISO time of the download. */
  readonly fetchedAt: string;
}

/**
 * Root of qus's QEMU cache: `QUS_QEMU_CACHE` when set; `/var/lib/qus/qemu` for root; otherwise the user's cache
 * (`$XDG_CACHE_HOME/qus/qemu` or `~/.cache/qus/qemu`).
 */
export function qemuCacheRoot(env: NodeJS.ProcessEnv = process.env, isRoot = process.getuid?.() === 0): string {
  if (env.QUS_QEMU_CACHE) return env.QUS_QEMU_CACHE;
  return isRoot ? "/var/lib/qus/qemu" : join(cacheDir(env), "qemu");
}

/**
 * A cache folder's name: the package version without its epoch (`10.0.6+ds-1`), and the architecture when it is
 * not this machine's (an installer image for another engine). Never holds `:` or `/`.
 */
export function cacheFolderName(version: string, arch: string, hostArch: string | undefined): string {
  const base = version
    .replace(/^\d+:/, "")
    .replace(/[^A-Za-z0-9.+~_-]/g, "_")
    .replace(/^\./, "_");
  return arch === hostArch ? base : `${base}_${arch}`;
}

/** Makes the cache root, or says clearly that it cannot be written. */
export function ensureCacheRoot(root: string): void {
  try {
    mkdirSync(root, { recursive: true, mode: 0o755 });
    const probe = join(root, `${PARTIAL_PREFIX}write-test-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe, { force: true });
  } catch (error) {
    throw new QusError(
      "QUS_QEMU_CACHE_UNWRITABLE",
      `cannot write the QEMU cache folder ${root} (${errnoCode(error) ?? String(error)})`,
      {
        hint: "run as root (cache /var/lib/qus/qemu), or set QUS_QEMU_CACHE to a folder you can write",
        cause: error,
      },
    );
  }
}

/** Reads one cache folder's description; undefined when it is not a complete cache folder. */
export function readCached(folder: string): CachedQemu | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(folder, META_FILE), "utf8")) as CachedQemu;
    if (typeof meta.packageVersion !== "string" || !Array.isArray(meta.emulators)) return undefined;
    for (const name of meta.emulators) if (!statSync(join(folder, name)).isFile()) return undefined;
    return { ...meta, folder };
  } catch {
    return undefined;
  }
}

/** Every complete cache folder under the root, by name. */
export function listCached(root: string): CachedQemu[] {
  let names: string[];
  try {
    names = readdirSync(root).sort();
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    if (name.startsWith(".")) return [];
    const cached = readCached(join(root, name));
    return cached ? [cached] : [];
  });
}

/**
 * Moves a complete folder into place with one rename: readers see all of it or nothing. When a racing fetch put
 * the same version there first, that one is kept (same package, same files) and this one removed.
 */
export function installFolder(complete: string, target: string): "installed" | "raced" {
  try {
    renameSync(complete, target);
    return "installed";
  } catch (error) {
    const code = errnoCode(error);
    if ((code === "ENOTEMPTY" || code === "EEXIST") && readCached(target)) {
      rmSync(complete, { recursive: true, force: true });
      return "raced";
    }
    throw new QusError(
      "QUS_QEMU_CACHE_UNWRITABLE",
      `cannot move the emulators into ${target} (${code ?? String(error)})`,
      {
        hint: "remove that folder if it is not a complete qus cache folder, or set QUS_QEMU_CACHE to another folder",
        cause: error,
      },
    );
  }
}

/** Removes temporary folders of fetches that were killed (older than an hour), so they do not pile up. */
export function removeStalePartials(root: string, now = Date.now()): void {
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(PARTIAL_PREFIX)) continue;
    try {
      if (now - statSync(join(root, name)).mtimeMs > 3_600_000)
        rmSync(join(root, name), { recursive: true, force: true });
    } catch {
      // Another run removed it.
    }
  }
}

/** Which version a source resolved to last time, per architecture: a second fetch needs no network. */
export function readPointer(root: string, key: string): string | undefined {
  try {
    const pointers = JSON.parse(readFileSync(join(root, POINTERS_FILE), "utf8")) as Record<string, string>;
    return typeof pointers[key] === "string" ? pointers[key] : undefined;
  } catch {
    return undefined;
  }
}

/** Records which cache folder a source resolved to (written to a temporary file, then renamed). */
export function writePointer(root: string, key: string, folderName: string): void {
  let pointers: Record<string, string> = {};
  try {
    pointers = JSON.parse(readFileSync(join(root, POINTERS_FILE), "utf8")) as Record<string, string>;
  } catch {
    // First one.
  }
  pointers[key] = folderName;
  const temporary = join(root, `${PARTIAL_PREFIX}${POINTERS_FILE}-${process.pid}`);
  writeFileSync(temporary, `${JSON.stringify(pointers, null, 2)}\n`);
  renameSync(temporary, join(root, POINTERS_FILE));
}
