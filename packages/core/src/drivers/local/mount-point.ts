import { readFileSync } from "node:fs";

/** The mount that holds a path, as `/proc/self/mountinfo` shows it. */
export interface MountPoint {
  readonly path: string;
  readonly fsType: string;
  /** Mounted read-only: the mount itself (a read-only bind, as containers get) or its filesystem. */
  readonly readOnly: boolean;
}

/**
 * The mount that holds `path` (the last mounted of the longest mount point that contains it), or undefined when
 * mountinfo cannot be read. Pure over the text, for tests: {@link mountOf} reads this process's.
 */
export function parseMountOf(mountinfo: string, path: string): MountPoint | undefined {
  let found: MountPoint | undefined;
  for (const line of mountinfo.split("\n")) {
    const [head, tail] = line.split(" - ");
    const fields = head?.split(" ") ?? [];
    const point = unescapeMount(fields[4] ?? "");
    if (!point || !contains(point, path) || (found && point.length < found.path.length)) continue;
    const [fsType = "", , superOptions = ""] = tail?.split(" ") ?? [];
    const readOnly = (fields[5] ?? "").split(",").includes("ro") || superOptions.split(",").includes("ro");
    found = { path: point, fsType, readOnly };
  }
  return found;
}

/** {@link parseMountOf} for this process's mounts. */
export function mountOf(path: string): MountPoint | undefined {
  try {
    return parseMountOf(readFileSync("/proc/self/mountinfo", "utf8"), path);
  } catch {
    return undefined;
  }
}

function contains(point: string, path: string): boolean {
  return point === "/" || path === point || path.startsWith(`${point}/`);
}

// mountinfo writes space, tab, newline and backslash in paths as octal escapes (\040).
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
