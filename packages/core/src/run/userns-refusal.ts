import { readFileSync } from "node:fs";
import { release } from "node:os";
import { kernelAtLeast } from "../drivers/local/kernel-version.js";
import { QusError } from "../errors.js";

/** What decides whether this user may make a user namespace with a binfmt_misc of its own (read from /proc/sys). */
export interface UserNamespaceFacts {
  /** `uname -r`. */
  readonly kernelRelease: string;
  /** The effective uid: root is not held back by the unprivileged-only switches. */
  readonly uid: number;
  /** `user.max_user_namespaces` as this namespace sees it (a nested namespace has its own). */
  readonly maxUserNamespaces?: number;
  /** `user.max_mnt_namespaces`. */
  readonly maxMntNamespaces?: number;
  /** Debian's and Ubuntu's `kernel.unprivileged_userns_clone` (absent on other kernels). */
  readonly unprivilegedUsernsClone?: number;
  /** Ubuntu 24.04's AppArmor switch `kernel.apparmor_restrict_unprivileged_userns` (absent elsewhere). */
  readonly apparmorRestrict?: number;
}

/** Reads {@link UserNamespaceFacts} of this process; `read` is the seam tests replace. */
export function readUserNamespaceFacts(
  read: (path: string) => string | undefined = readText,
  uid: number = process.geteuid?.() ?? 0,
): UserNamespaceFacts {
  const number = (path: string) => {
    const text = read(path)?.trim();
    return text === undefined || !/^\d+$/.test(text) ? undefined : Number(text);
  };
  return {
    kernelRelease: read("/proc/sys/kernel/osrelease")?.trim() || release(),
    uid,
    maxUserNamespaces: number("/proc/sys/user/max_user_namespaces"),
    maxMntNamespaces: number("/proc/sys/user/max_mnt_namespaces"),
    unprivilegedUsernsClone: number("/proc/sys/kernel/unprivileged_userns_clone"),
    apparmorRestrict: number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
  };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

const ROOTFUL = "or, with root, register emulation for the whole machine: sudo qus ensure --platforms LIST";

/**
 * Why `qus run` cannot have a binfmt_misc of its own here, as a QUS_USERNS_UNAVAILABLE error naming the cause,
 * the knob and the rootful alternative; undefined when nothing read forbids it.
 */
export function userNamespaceRefusal(facts: UserNamespaceFacts): QusError | undefined {
  const refuse = (cause: string, knob: string) =>
    new QusError("QUS_USERNS_UNAVAILABLE", `qus run needs a user namespace with its own binfmt_misc: ${cause}`, {
      hint: `${knob}; ${ROOTFUL}`,
    });
  if (!kernelAtLeast(6, 7, facts.kernelRelease))
    return refuse(
      `Linux ${facts.kernelRelease} has one binfmt_misc table for the whole machine (a table per user namespace came in 6.7)`,
      "boot Linux 6.7 or later",
    );
  if (facts.maxUserNamespaces === 0)
    return refuse(
      "user namespaces are switched off (user.max_user_namespaces = 0)",
      "as root: sysctl -w user.max_user_namespaces=15000",
    );
  if (facts.maxMntNamespaces === 0)
    return refuse(
      "mount namespaces are switched off (user.max_mnt_namespaces = 0)",
      "as root: sysctl -w user.max_mnt_namespaces=15000",
    );
  if (facts.uid === 0) return undefined;
  if (facts.unprivilegedUsernsClone === 0)
    return refuse(
      "user namespaces are switched off for users without root (kernel.unprivileged_userns_clone = 0)",
      "as root: sysctl -w kernel.unprivileged_userns_clone=1",
    );
  if (facts.apparmorRestrict === 1)
    return refuse(
      "AppArmor denies users without root the capabilities of a new user namespace (kernel.apparmor_restrict_unprivileged_userns = 1)",
      "as root: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give unshare an AppArmor profile with the userns rule",
    );
  return undefined;
}

/** The refusal when `unshare` itself could not make the namespaces, whatever /proc/sys said (its words are above). */
export function unshareFailed(status: number): QusError {
  return new QusError(
    "QUS_USERNS_UNAVAILABLE",
    `qus run could not make a user and mount namespace: unshare exited ${status} (its message is above)`,
    {
      hint: `a sandbox or seccomp policy may forbid unshare(2), or this is nested 32 user namespaces deep; ${ROOTFUL}`,
    },
  );
}
