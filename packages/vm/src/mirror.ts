import { QusError } from "@qus/core";

/** Debian's archive, where mmdebstrap downloads from unless `--mirror` names another. */
export const DEFAULT_MIRROR = "http://deb.debian.org/debian";

/**
 * The one source line mmdebstrap gets: the suite's release (point releases included) from one mirror. Not the
 * -updates and -security suites mmdebstrap adds by default: a mirror caught mid-sync there fails the whole build
 * ("File has unexpected size ... Mirror sync in progress?"), and a VM for builds and tests needs one consistent set.
 */
export function sourceLine(suite: string, mirror: string = DEFAULT_MIRROR): string {
  if (!/^(https?|file):\/\/[^\s]+$/.test(mirror)) {
    throw new QusError("QUS_USAGE", `--mirror ${JSON.stringify(mirror)} is not a mirror URL`, {
      hint: `give the archive's root, e.g. --mirror ${DEFAULT_MIRROR}`,
    });
  }
  return `deb ${mirror} ${suite} main`;
}
