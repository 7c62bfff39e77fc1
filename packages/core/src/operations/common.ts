import { createLocalDriver } from "../drivers/local/index.js";
import type { Driver } from "../drivers/types.js";
import { resolvePlatforms } from "../platform.js";
import { TARGETS, type Target } from "../targets.js";

/** Options every operation takes. */
export interface OperationOptions {
  /** Platforms as the user wrote them (`linux/arm64,riscv64`, `all`), or already resolved targets. */
  readonly platforms?: string | readonly string[];
  /** Where the kernel is reached; the local driver by default. */
  readonly driver?: Driver;
  /** With the default local driver: look for QEMU interpreters only in this folder. */
  readonly qemuPath?: string;
}

/** Resolves the platforms asked for; `fallback` when none were given (`all` for status). */
export function targetsOf(options: OperationOptions, fallback?: readonly Target[]): Target[] {
  if (options.platforms === undefined || options.platforms.length === 0) {
    if (fallback) return [...fallback];
  }
  return resolvePlatforms(options.platforms ?? []);
}

/** The driver asked for, or the local one. */
export function driverOf(options: OperationOptions): Driver {
  return options.driver ?? createLocalDriver({ qemuPath: options.qemuPath });
}

export const ALL_TARGETS = TARGETS;
