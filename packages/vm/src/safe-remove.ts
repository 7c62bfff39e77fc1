import { existsSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { QusError } from "@qus/core";
import { runSyncBestEffort } from "@qus/core/runner";

/** Mount points at or below `dir`, deepest first, from a mountinfo text (`/proc/self/mountinfo` by default). */
export function mountsUnder(dir: string, mountinfo?: string): string[] {
  // mountinfo names canonical paths: a folder reached through a symbolic link is matched by where it really is.
  const root = existsSync(dir) ? realpathSync(dir) : resolve(dir);
  const text = mountinfo ?? readFileSync("/proc/self/mountinfo", "utf8");
  return (
    text
      .split("\n")
      .map((line) => line.split(" ")[4])
      .filter((field): field is string => field !== undefined)
      // mountinfo escapes space, tab, newline and backslash as octal.
      .map((field) =>
        field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
      )
      .filter((point) => point === root || point.startsWith(`${root}/`))
      .sort((a, b) => b.length - a.length)
  );
}

/**
 * Removes a work folder that mmdebstrap or a loop mount may have left mounts in (a build killed at its timeout
 * leaves the root's /proc, /sys and /dev mounted): unmounts them first, and removes nothing while one stays, so a
 * recursive delete never reaches into the host's /dev or a mounted disk. Synchronous: interrupt handlers call it.
 */
export function removeTree(dir: string): void {
  for (const point of mountsUnder(dir)) runSyncBestEffort("umount", ["--lazy", point]);
  const left = mountsUnder(dir);
  if (left.length > 0) {
    throw new QusError("QUS_VM_BUILD_FAILED", `${dir} still has mounts (${left.join(", ")}); it was left in place`, {
      hint: `unmount them (umount --lazy PATH), then remove ${dir}`,
    });
  }
  rmSync(dir, { recursive: true, force: true });
}
