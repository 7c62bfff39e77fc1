import { existsSync, readdirSync, readFileSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { type BinfmtEntry, parseEntry } from "../../binfmt/entry.js";
import { errnoCode, QusError } from "../../errors.js";
import type { Exec } from "../../exec.js";

/** Where the kernel's binfmt_misc interface is mounted. */
export const BINFMT_DIR = "/proc/sys/fs/binfmt_misc";

const CONTROL_FILES = new Set(["register", "status"]);

/** Whether binfmt_misc is mounted (its `register` file exists). */
export function isMounted(dir = BINFMT_DIR): boolean {
  return existsSync(`${dir}/register`);
}

/** Mounts binfmt_misc, with clear errors when the kernel lacks it or the caller is not root. */
export async function mountBinfmt(exec: Exec, dir = BINFMT_DIR): Promise<void> {
  const filesystems = await readFile("/proc/filesystems", "utf8").catch(() => "");
  const result = await exec("mount", ["-t", "binfmt_misc", "binfmt_misc", dir]);
  if (result.exitCode === 0) return;
  const detail = (result.stderr || result.startError || `exit ${result.exitCode}`).trim();
  if (process.getuid?.() !== 0) {
    throw new QusError("QUS_NOT_ROOT", `cannot mount binfmt_misc at ${dir}: not root (${detail})`, {
      hint: "run qus as root (sudo qus ...), or mount it first: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc",
    });
  }
  throw new QusError("QUS_NO_BINFMT_MISC", `cannot mount binfmt_misc at ${dir}: ${detail}`, {
    hint: /\bbinfmt_misc\b/.test(filesystems)
      ? "check that /proc is writable here (inside a container, run with --cap-add SYS_ADMIN)"
      : "this kernel has no binfmt_misc: load it (modprobe binfmt_misc) or use a kernel built with CONFIG_BINFMT_MISC",
  });
}

/** Whether binfmt_misc as a whole is switched on (`status` reads `enabled`); true when it cannot be read. */
export function isBinfmtEnabled(dir = BINFMT_DIR): boolean {
  try {
    return readFileSync(`${dir}/status`, "utf8").trim() !== "disabled";
  } catch {
    return true;
  }
}

/** Reads every entry of the table (small /proc files: read synchronously, which is faster here). */
export function readEntries(dir = BINFMT_DIR): BinfmtEntry[] {
  const names = readdirSync(dir)
    .filter((name) => !CONTROL_FILES.has(name))
    .sort();
  return names.map((name) => readEntry(name, dir)).filter((entry): entry is BinfmtEntry => entry !== undefined);
}

/** Reads one entry, or undefined when it is absent (removed meanwhile by a concurrent run). */
export function readEntry(name: string, dir = BINFMT_DIR): BinfmtEntry | undefined {
  try {
    return parseEntry(name, readFileSync(`${dir}/${name}`, "utf8"));
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

/** Writes a control string to a binfmt_misc file; throws the raw errno error. */
export type WriteControl = (path: string, text: string) => Promise<void>;

/** Writes a control string in one write(2), as binfmt_misc requires. Throws the raw errno error. */
export async function writeControl(path: string, text: string): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.write(text);
  } finally {
    await handle.close();
  }
}

/**
 * Removes an entry by writing `-1` to it (never to `status`). An entry that is absent, or that a concurrent run
 * removed first (the write then fails, EACCES or ENOENT, since binfmt_misc creates no files), counts as removed.
 */
export async function removeEntry(name: string, dir = BINFMT_DIR, write: WriteControl = writeControl): Promise<void> {
  try {
    await write(`${dir}/${name}`, "-1");
  } catch (error) {
    if (existsSync(`${dir}/${name}`)) throw error;
  }
}
