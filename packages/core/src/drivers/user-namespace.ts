import { readFileSync } from "node:fs";

/**
 * Since Linux 6.7 a user namespace may mount binfmt_misc and gets a table of its own, empty at first: what is
 * registered there runs only for processes of that namespace, and the host never sees it. Outside the host's own
 * (initial) user namespace, qus must say so instead of reporting success.
 */

/** The initial user namespace maps every id to itself: one line `0 0 4294967295`. */
const INITIAL_MAP = /^\s*0\s+0\s+4294967295\s*$/;

/**
 * The user namespace a process with this `/proc/self/uid_map` is in (`uid map 0 1000 1`), or undefined when it is
 * the host's own (or the map cannot be told). In another one, the binfmt_misc table seen is either the host's, which
 * that namespace may not change, or one private to it, whose entries never reach the host.
 */
export function describeUserNamespace(uidMap: string | undefined): string | undefined {
  const lines = (uidMap ?? "").split("\n").filter((line) => line.trim() !== "");
  if (lines.length === 0) return undefined;
  if (lines.length === 1 && INITIAL_MAP.test(lines[0] ?? "")) return undefined;
  const shown = lines.map((line) => line.trim().split(/\s+/).join(" ")).join(", ");
  return `uid map ${shown}`;
}

/** {@link describeUserNamespace} for this process. */
export function currentUserNamespace(): string | undefined {
  try {
    return describeUserNamespace(readFileSync("/proc/self/uid_map", "utf8"));
  } catch {
    return undefined;
  }
}
