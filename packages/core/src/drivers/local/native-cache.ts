import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { QemuCpu } from "../../targets.js";
import { cacheDir, readCache, writeCache } from "./cache.js";

interface NativeCache {
  readonly bootId: string;
  readonly native: Partial<Record<QemuCpu, boolean>>;
}

/** This boot's id: what a cpu can run natively cannot change before the next boot. */
function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}

/** Remembers, for this boot, which cpus' probes ran natively, so a read-only `status` needs no process. */
export function createNativeCache(path = join(cacheDir(), "native.json")) {
  const id = bootId();
  const stored = readCache<NativeCache>(path);
  const known: Partial<Record<QemuCpu, boolean>> = id && stored.bootId === id ? { ...stored.native } : {};
  return {
    get: (cpu: QemuCpu): boolean | undefined => known[cpu],
    set(results: ReadonlyMap<QemuCpu, boolean>): void {
      if (!id || results.size === 0) return;
      for (const [cpu, native] of results) known[cpu] = native;
      writeCache(path, { bootId: id, native: known } satisfies NativeCache);
    },
  };
}
