import { errnoCode, QusError } from "../../errors.js";
import { formatCommand } from "../../shell-quote.js";
import { currentUserNamespace } from "../user-namespace.js";
import { type MountPoint, mountOf } from "./mount-point.js";

/** One write qus makes to binfmt_misc: what it does, to which file. */
export interface BinfmtWrite {
  /** `register qemu-aarch64`, `enable qemu-aarch64`, `remove qemu-aarch64`: what the write was for. */
  readonly what: string;
  /** The file written: `register`, or an entry's own file. */
  readonly path: string;
  /** Where binfmt_misc is mounted. */
  readonly dir: string;
  /** qus runs as root. */
  readonly root: boolean;
}

/** Seams of {@link binfmtWriteError}: the mount that holds a path, the user namespace qus runs in. */
export interface WriteErrorSeams {
  readonly mountOf?: (path: string) => MountPoint | undefined;
  readonly userNamespace?: () => string | undefined;
}

const ELSEWHERE =
  "run qus where the kernel's binfmt_misc is writable (on the host as root, or in a container run with --cap-add SYS_ADMIN, where qus mounts its own), or reach the kernel through an engine: --driver docker";

/**
 * What the kernel's refusal of a binfmt_misc write means, as an error of the environment that names the file and
 * says what to do: a read-only mount (EROFS, as containers get it), or a refusal to root (EACCES, EPERM: a security
 * module, or a table of another user namespace). Undefined for any other errno: the caller words those.
 */
export function binfmtWriteError(
  error: unknown,
  write: BinfmtWrite,
  seams: WriteErrorSeams = {},
): QusError | undefined {
  const code = errnoCode(error);
  if (code === "EROFS") {
    const mount = (seams.mountOf ?? mountOf)(write.dir);
    const point = mount?.readOnly ? mount.path : write.dir;
    const holds = point === write.dir ? "" : ` (it holds ${write.dir})`;
    const remount = formatCommand(["mount", "-o", "remount,rw", point]);
    return new QusError(
      "QUS_BINFMT_READONLY",
      `binfmt_misc is read-only here: ${point} is mounted read-only${holds}, so the kernel refused to ${write.what} (EROFS)`,
      { hint: `mount it read-write as root on the host (${remount}), or ${ELSEWHERE}`, cause: error },
    );
  }
  if (code !== "EACCES" && code !== "EPERM") return undefined;
  if (!write.root) {
    return new QusError("QUS_NOT_ROOT", `the kernel refused to ${write.what}: not root (${code} on ${write.path})`, {
      hint: "run qus as root (sudo qus ...)",
      cause: error,
    });
  }
  const namespace = (seams.userNamespace ?? currentUserNamespace)();
  const why = namespace
    ? `qus runs as root of a user namespace (${namespace}), and this binfmt_misc belongs to another`
    : "a security module (AppArmor, SELinux) or the container qus runs in confines it";
  return new QusError(
    "QUS_PRIVILEGE_DENIED",
    `the kernel refused to ${write.what} although qus runs as root (${code} on ${write.path}): ${why}`,
    {
      hint: `${ELSEWHERE}; in a container with AppArmor, add --security-opt apparmor=unconfined`,
      cause: error,
    },
  );
}
