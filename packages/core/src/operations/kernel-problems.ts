import { claimantsOf } from "../binfmt/entry.js";
import type { Inspection } from "../drivers/types.js";
import { QusError } from "../errors.js";
import { buildProbe } from "../probe/index.js";
import { formatCommand } from "../shell-quote.js";
import { canonicalPlatform, entryName, type Target } from "../targets.js";

/** The entry that claims a target's programs: its own `qemu-<cpu>` first, else any other enabled one, else none. */
export function claimantOf(inspection: Inspection, target: Target) {
  // Switched off as a whole, binfmt_misc lets no entry claim anything.
  if (inspection.kernel.binfmtEnabled === false) return undefined;
  const claimants = claimantsOf(inspection.entries, buildProbe(target.cpu));
  return claimants.find((entry) => entry.name === entryName(target)) ?? claimants[0];
}

/**
 * A problem of the kernel that no plan for this platform can fix, or undefined: binfmt_misc switched off as a
 * whole, entries that send the host's own programs (a native architecture) through QEMU, or (when `changing`, as
 * ensure does) a table seen from a user namespace, where no registration reaches the host.
 */
export function kernelProblem(inspection: Inspection, target: Target, changing = false): QusError | undefined {
  const namespace = inspection.kernel.userNamespace;
  if (changing && namespace && !inspection.native.has(target.cpu)) return privateTableError(namespace);
  const claims = inspection.hostClaims?.get(target.cpu);
  if (claims && claims.length > 0) {
    const names = claims.join(", ");
    const removals = claims.map((name) => `echo -1 > ${formatCommand([`/proc/sys/fs/binfmt_misc/${name}`])}`);
    return new QusError(
      "QUS_NATIVE_CLAIMED",
      `${names} claims ${canonicalPlatform(target)} programs, which this machine runs natively: its own programs go through QEMU`,
      { hint: `remove ${claims.length > 1 ? "them" : "it"} as root: ${removals.join("; ")}` },
    );
  }
  if (inspection.kernel.binfmtEnabled === false && !inspection.native.has(target.cpu)) {
    return new QusError(
      "QUS_BINFMT_DISABLED",
      "binfmt_misc is switched off as a whole: the kernel uses none of its entries",
      { hint: "switch it on as root: echo 1 > /proc/sys/fs/binfmt_misc/status" },
    );
  }
  return undefined;
}

/** What ensure says in a user namespace instead of reporting success into a table the host never sees. */
export function privateTableError(namespace: string): QusError {
  return new QusError(
    "QUS_PRIVATE_BINFMT",
    `qus runs in a user namespace (${namespace}): the binfmt_misc table it sees is either the host's, which it may not change, or private to the namespace (Linux 6.7+), so nothing registered here reaches the host`,
    {
      hint: "run qus ensure on the host, or in a container that shares the host's user namespace (a privileged container without userns-remap; a Kubernetes pod without hostUsers: false), or use --driver docker",
    },
  );
}
