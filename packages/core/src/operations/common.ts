import { createLocalDriver } from "../drivers/local/index.js";
import type { Driver } from "../drivers/types.js";
import { resolvePlatforms } from "../platform.js";
import { TARGETS, type Target } from "../targets.js";

/** Options every operation takes. */
export interface OperationOptions {
  /** Platforms as the user wrote them: `linux/arm64,riscv64`, `all`, or a list of such strings. */
  readonly platforms?: string | readonly string[];
  /** Where the kernel is reached; the local driver by default. */
  readonly driver?: Driver;
  /** With the default local driver: look for QEMU interpreters only in this folder. */
  readonly qemuPath?: string;
}

/** Resolves the platforms asked for; every target when none were given and `allByDefault` (status, persist). */
export function targetsOf(options: OperationOptions, allByDefault = false): Target[] {
  const none = options.platforms === undefined || options.platforms.length === 0;
  return none && allByDefault ? [...TARGETS] : resolvePlatforms(options.platforms ?? []);
}

/** The driver asked for, or the local one. */
export function driverOf(options: OperationOptions): Driver {
  return options.driver ?? createLocalDriver({ qemuPath: options.qemuPath });
}
