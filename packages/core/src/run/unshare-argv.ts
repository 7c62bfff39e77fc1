import { type ScriptIdentity, SETUP_SCRIPT } from "./setup-script.js";

/** Who runs `qus run` and what the machine offers for mapping ids. */
export interface IdentityFacts {
  readonly uid: number;
  readonly gid: number;
  /** The user has subordinate ids (/etc/subuid and /etc/subgid) and newuidmap/newgidmap are installed. */
  readonly subordinateIds: boolean;
}

/** How the namespaces are made: unshare's argv (the script and its $0 last; its arguments follow) and who the command runs as. */
export interface NamespacePlan {
  readonly argv: readonly string[];
  readonly identity: ScriptIdentity;
}

/** Ends the set-up when qus ends, even by kill -9 (the command gets its own, after the last namespace change). */
export const DIES_WITH_QUS = ["setpriv", "--pdeathsig", "KILL", "--"];

/** The name the script sees as $0 (in `ps` and its error messages). */
export const SCRIPT_NAME = "qus-run";

/**
 * unshare's argv. The outer namespace maps the caller to root there: binfmt_misc's `register` belongs to that
 * namespace's root, and no capability writes it for an unmapped owner. The command then runs as the caller's own
 * uid and gid (a nested namespace maps them back, so files it writes are the user's) unless `mapRoot`; with
 * `mapRoot`, the user's subordinate ids are mapped too when there are any (chroot-style tools chown to them).
 */
export function namespacePlan(facts: IdentityFacts, mapRoot: boolean, shell = "/bin/sh"): NamespacePlan {
  const identity: ScriptIdentity = mapRoot || facts.uid === 0 ? "root" : { uid: facts.uid, gid: facts.gid };
  const maps = ["--map-root-user", ...(mapRoot && facts.uid !== 0 && facts.subordinateIds ? ["--map-auto"] : [])];
  return {
    argv: [
      "unshare",
      "--user",
      "--mount",
      "--propagation",
      "private",
      ...maps,
      "--",
      ...DIES_WITH_QUS,
      shell,
      "-c",
      SETUP_SCRIPT,
      SCRIPT_NAME,
    ],
    identity,
  };
}
