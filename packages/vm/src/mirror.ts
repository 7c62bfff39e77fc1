import { QusError } from "@qus/core";
import { requireProgram } from "./tools.js";

/** Debian's archive, where mmdebstrap downloads from unless `--mirror` names another. */
export const DEFAULT_MIRROR = "http://deb.debian.org/debian";

/**
 * The one source line mmdebstrap gets: the suite's release (point releases included) from one mirror. Not the
 * -updates and -security suites mmdebstrap adds by default: a mirror caught mid-sync there fails the whole build
 * ("File has unexpected size ... Mirror sync in progress?"), and a VM for builds and tests needs one consistent set.
 */
export function sourceLine(suite: string, mirror: string = DEFAULT_MIRROR): string {
  if (!/^[a-z][a-z0-9-]*$/.test(suite)) {
    throw new QusError("QUS_USAGE", `--suite ${JSON.stringify(suite)} is not a Debian suite name`, {
      hint: "e.g. --suite bookworm",
    });
  }
  if (!/^(https?|file):\/\/[^\s]+$/.test(mirror)) {
    throw new QusError("QUS_USAGE", `--mirror ${JSON.stringify(mirror)} is not a mirror URL`, {
      hint: `give the archive's root, e.g. --mirror ${DEFAULT_MIRROR}`,
    });
  }
  return `deb ${mirror} ${suite} main`;
}

/** What one mmdebstrap run builds: a variant of a suite for an architecture, with packages, into a folder. */
export interface MmdebstrapRun {
  readonly variant: "minbase" | "extract";
  readonly architecture: string;
  readonly include: readonly string[];
  readonly suite: string;
  readonly dir: string;
  readonly mirror?: string;
}

/** The argv of one mmdebstrap run, from {@link sourceLine}'s one source. */
export function mmdebstrapCommand(run: MmdebstrapRun): string[] {
  return [
    requireProgram("mmdebstrap"),
    "--quiet",
    `--variant=${run.variant}`,
    `--architectures=${run.architecture}`,
    `--include=${run.include.join(",")}`,
    run.suite,
    run.dir,
    sourceLine(run.suite, run.mirror),
  ];
}
