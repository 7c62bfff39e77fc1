import { statSync } from "node:fs";
import { join } from "node:path";
import type { Exec } from "../../exec.js";
import { cacheDir, readCache, writeCache } from "./cache.js";

interface CachedVersion {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly version: string;
}

/** Where the version cache lives. */
export function versionCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), "qemu-versions.json");
}

/**
 * First line of `<interpreter> --version` for each path. Cached by path, size, mtime and inode: running every
 * QEMU once per qus run cost more than everything else in a no-op run. Paths that fail are left out.
 */
export async function qemuVersions(
  exec: Exec,
  paths: Iterable<string>,
  cachePath = versionCachePath(),
): Promise<Map<string, string>> {
  const cache: Record<string, CachedVersion | undefined> = readCache<Record<string, CachedVersion>>(cachePath);
  const versions = new Map<string, string>();
  let changed = false;
  await Promise.all(
    [...new Set(paths)].map(async (path) => {
      const stat = statOrUndefined(path);
      if (!stat) return;
      const cached = cache[path];
      if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs && cached.ino === stat.ino) {
        versions.set(path, cached.version);
        return;
      }
      const result = await exec(path, ["--version"], { timeoutMs: 5_000 });
      const line = result.stdout.split("\n")[0]?.trim();
      if (result.exitCode !== 0 || !line) return;
      versions.set(path, line);
      cache[path] = { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, version: line };
      changed = true;
    }),
  );
  if (changed) writeCache(cachePath, cache);
  return versions;
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
