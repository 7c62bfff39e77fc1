import { createLocalDriver } from "../drivers/local/index.js";
import type { Driver } from "../drivers/types.js";
import { QusError } from "../errors.js";
import { resolvePlatforms } from "../platform.js";
import type { CachedQemu } from "../qemu/cache.js";
import { parseQemuSource } from "../qemu/source.js";
import { TARGETS, type Target } from "../targets.js";

/** Options every operation takes. */
export interface OperationOptions {
  /** Platforms as the user wrote them: `linux/arm64,riscv64`, `all`, or a list of such strings. */
  readonly platforms?: string | readonly string[];
  /** Where the kernel is reached; the local driver by default. */
  readonly driver?: Driver;
  /** With the default local driver: look for QEMU interpreters only in this folder. */
  readonly qemuPath?: string;
  /**
   * With the default local driver: use the QEMU of this source (`debian:trixie`), fetched into qus's cache when it
   * is not there yet. Excludes `qemuPath`.
   */
  readonly qemuFrom?: string;
}

/** Checks the options that need no side effect: `qemuFrom` is well-formed and goes alone, with the local driver. */
export function validateQemuOptions(options: OperationOptions): void {
  if (options.qemuFrom === undefined) return;
  if (options.qemuPath !== undefined) {
    throw new QusError("QUS_USAGE", "--qemu-from and --qemu-path exclude each other", {
      hint: "give one: --qemu-from debian:<suite> fetches a folder, --qemu-path DIR names one",
    });
  }
  if (options.driver !== undefined && options.driver.name !== "local") {
    throw new QusError("QUS_USAGE", `--qemu-from goes with the local driver, not ${options.driver.name}`, {
      hint: "for an engine, build its installer with that QEMU: qus image build --qemu-from debian:<suite>",
    });
  }
  parseQemuSource(options.qemuFrom);
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

/** {@link driverOf}, and with `qemuFrom` the QEMU of that source, fetched first when it is not in the cache. */
export async function driverWithQemu(options: OperationOptions): Promise<{ driver: Driver; qemu?: CachedQemu }> {
  validateQemuOptions(options);
  if (options.qemuFrom === undefined || options.driver) return { driver: driverOf(options) };
  // Loaded only for --qemu-from: the fetcher (Debian's archive, signatures, downloads) is most of qus's QEMU code.
  const { fetchQemu } = await import("../qemu/fetch.js");
  const qemu = await fetchQemu({ source: options.qemuFrom });
  return { driver: createLocalDriver({ qemuPath: qemu.folder }), qemu };
}

/** What the report says of a QEMU taken from a source (JSON `driverDetails`). */
export function qemuDetails(qemu: CachedQemu | undefined): Record<string, string> | undefined {
  if (!qemu) return undefined;
  return {
    qemuSource: qemu.source,
    qemuPackage: `${qemu.package} ${qemu.packageVersion}`,
    qemuFolder: qemu.folder,
    qemuVersion: qemu.qemuVersion,
  };
}
