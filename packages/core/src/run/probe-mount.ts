import { realpathSync, statSync } from "node:fs";
import { QusError } from "../errors.js";

/** Folders `qus run` may hide under its private tmpfs while it registers and proves, in order of preference. */
export const PROBE_MOUNT_POINTS = ["/tmp", "/dev/shm", "/mnt", "/run"] as const;

/**
 * Where the set-up script mounts the private tmpfs its probes run from: the first folder of
 * {@link PROBE_MOUNT_POINTS} that is there and holds none of the interpreters. The mount hides what is under it
 * while the entries are registered, and with F the kernel opens each interpreter then: QEMU under /tmp (an unpacked
 * download, a HOME there, `--qemu-path /tmp/...`) must stay in sight.
 */
export function probeMountPoint(
  interpreters: readonly string[],
  isFolder: (path: string) => boolean = folderExists,
  realPath: (path: string) => string = realPathOrSelf,
): string {
  const paths = interpreters.flatMap((interpreter) => [interpreter, realPath(interpreter)]);
  const under = (folder: string, path: string) => path === folder || path.startsWith(`${folder}/`);
  const point = PROBE_MOUNT_POINTS.find((folder) => isFolder(folder) && !paths.some((path) => under(folder, path)));
  if (point !== undefined) return point;
  throw new QusError(
    "QUS_TMPDIR_UNUSABLE",
    `qus run needs a folder of ${PROBE_MOUNT_POINTS.join(", ")} that holds no interpreter, to mount its probes' tmpfs on`,
    { hint: "put QEMU in a folder outside them (--qemu-path DIR)" },
  );
}

function folderExists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function realPathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
