import type { BinfmtEntry } from "../binfmt/entry.js";
import { notQusLine, notQusReasons } from "../plan.js";
import { buildReport, describePlatform, entryState } from "../report/build.js";
import type { Report } from "../report/model.js";
import { formatCommand } from "../shell-quote.js";
import { canonicalPlatform, entryName, type Target } from "../targets.js";
import { driverOf, type OperationOptions, targetsOf } from "./common.js";

/** Options of {@link remove}. */
export interface RemoveOptions extends OperationOptions {
  /** Report what would be removed, change nothing. */
  readonly dryRun?: boolean;
}

/**
 * Removes qus's entries (`qemu-<cpu>`) of the platforms: only those ensure recognises as qus's own (plan's
 * {@link notQusReasons}). Another program's entry of that name is left in place and reported as a conflict, with
 * the command that removes it; entries under other names are never touched, and `status` is never written (that
 * would remove every entry, not only ours).
 */
export async function remove(options: RemoveOptions): Promise<Report> {
  const targets = targetsOf(options);
  const dryRun = options.dryRun ?? false;
  const driver = driverOf(options);
  const inspection = await driver.inspect({ targets, mount: false, verify: false });
  const entryOf = (target: Target) => inspection.entries.find((entry) => entry.name === entryName(target));
  const notOurs = new Map<Target, string>();
  for (const target of targets) {
    const entry = entryOf(target);
    const reasons = entry ? notQusReasons(target, entry) : [];
    if (entry && reasons.length > 0) notOurs.set(target, notQusLine(entry, reasons));
  }
  const own = targets.filter((target) => entryOf(target) && !notOurs.has(target));
  const outcome = !dryRun && own.length > 0 ? await driver.remove(own.map(entryName)) : undefined;

  const platforms = targets.map((target) => {
    const name = entryName(target);
    const entry = entryOf(target);
    const removed = outcome?.removed.includes(name) ?? false;
    // The table as read after removing, where the driver read it: what another run did meanwhile shows too.
    const after = outcome?.entries
      ? outcome.entries.find((candidate) => candidate.name === name)
      : removed || (dryRun && !notOurs.has(target))
        ? undefined
        : entry;
    const foreign = notOurs.get(target);
    if (foreign && entry) {
      return describePlatform({
        target,
        action: "conflict",
        before: entryState(entry),
        after,
        qemuVersions: inspection.qemuVersions,
        reasons: [foreign, "left in place: qus removes only its own entries"],
        hint: removeAnywayHint(target, entry),
        requireVerified: false,
      });
    }
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
  // Removing is ok when the entry is gone (or, in a dry run, would be): an absent entry is what was asked. Another
  // program's entry left in place is not ok: the platform still runs through it.
  const removals = platforms.map((platform) => ({
    ...platform,
    ok: platform.action !== "conflict" && platform.error === undefined && (dryRun || platform.after === "absent"),
  }));
  return buildReport("remove", driver.name, inspection, removals, dryRun);
}

/** How to remove another program's entry all the same: make it qus's first, or remove it by hand, quoted for a shell. */
function removeAnywayHint(target: Target, entry: BinfmtEntry): string {
  const platform = canonicalPlatform(target);
  const takeOver = formatCommand(["qus", "ensure", "--replace", "--platforms", platform]);
  const again = formatCommand(["qus", "remove", "--platforms", platform]);
  const byHand = `echo -1 > ${formatCommand([`/proc/sys/fs/binfmt_misc/${entry.name}`])}`;
  return `to remove it all the same, replace it with qus's and remove that (${takeOver}, then ${again}), or remove it as root on the kernel's machine: ${byHand}`;
}
