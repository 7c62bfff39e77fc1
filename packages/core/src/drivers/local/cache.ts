import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** Folder of qus's caches: `$XDG_CACHE_HOME/qus` or `~/.cache/qus`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "qus");
}

/** Reads a JSON cache file; a missing or broken one reads as empty. */
export function readCache<T extends object>(path: string): Partial<T> {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Partial<T>) : {};
  } catch {
    return {};
  }
}

/** Writes a JSON cache file; failing to write only costs speed next time. */
export function writeCache(path: string, value: object): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(value));
  } catch {
    // Read-only home or cache folder: fine.
  }
}
