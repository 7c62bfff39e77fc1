import { buildReport, describePlatform, entryState } from "../report/build.js";
import type { Report } from "../report/model.js";
import { entryName } from "../targets.js";
import { driverOf, type OperationOptions, targetsOf } from "./common.js";

/** Options of {@link remove}. */
export interface RemoveOptions extends OperationOptions {
  /** Report what would be removed, change nothing. */
  readonly dryRun?: boolean;
}

/**
 * Removes qus's entries (`qemu-<cpu>`) of the platforms. Entries under other names are never touched,
 * and `status` is never written (that would remove every entry, not only ours).
 */
export async function remove(options: RemoveOptions): Promise<Report> {
  const targets = targetsOf(options);
  const dryRun = options.dryRun ?? false;
  const driver = driverOf(options);
  const inspection = await driver.inspect({ targets, mount: false, verify: false });
  const present = targets.filter((target) => inspection.entries.some((entry) => entry.name === entryName(target)));
  const outcome = !dryRun && present.length > 0 ? await driver.remove(present.map(entryName)) : undefined;

  const platforms = targets.map((target) => {
    const name = entryName(target);
    const entry = inspection.entries.find((candidate) => candidate.name === name);
    const removed = outcome?.removed.includes(name) ?? false;
    // The table as read after removing, where the driver read it: what another run did meanwhile shows too.
    const after = outcome?.entries
      ? outcome.entries.find((candidate) => candidate.name === name)
      : removed || dryRun
        ? undefined
        : entry;
    return describePlatform({
      target,
      action: entry ? "remove" : "none",
      before: entryState(entry),
      after: dryRun ? undefined : after,
      qemuVersions: inspection.qemuVersions,
      reasons: entry ? [] : ["no entry to remove"],
      error: outcome?.failures.get(name),
      requireVerified: false,
    });
  });
  // Removing is ok when the entry is gone (or, in a dry run, would be): an absent entry is what was asked.
  const removals = platforms.map((platform) => ({
    ...platform,
    ok: platform.error === undefined && (dryRun || platform.after === "absent"),
  }));
  return buildReport("remove", driver.name, inspection, removals, dryRun);
}
