import { chmod, lstat, mkdir, readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { readHeaderSync } from "../drivers/local/host.js";
import { isStaticElf } from "../drivers/local/interpreters.js";
import { QusError } from "../errors.js";
import type { Exec } from "../exec.js";

const EMULATOR = /^qemu-([a-z0-9_]+?)(-static)?$/;

/**
 * Unpacks a QEMU .deb into `scratch` and moves only its static ELF emulators (regular files named
 * `qemu-<cpu>[-static]` in usr/bin) into `out`, each named `qemu-<cpu>-static`. The package's files decide, not its
 * name: a transitional package of symlinks yields none. Returns the names moved, sorted.
 */
export async function extractStaticEmulators(exec: Exec, deb: string, scratch: string, out: string): Promise<string[]> {
  await mkdir(scratch, { recursive: true });
  const result = await exec("dpkg-deb", ["--extract", deb, scratch], { timeoutMs: 300_000 });
  if (result.exitCode !== 0) {
    const missing = result.startError === "ENOENT";
    throw new QusError(
      "QUS_QEMU_FETCH_FAILED",
      missing
        ? "dpkg-deb is needed to unpack Debian packages and was not found"
        : `could not unpack ${deb}: ${result.stderr.trim()}`,
      {
        hint: missing
          ? "install dpkg (it provides dpkg-deb)"
          : "check free disk space in the cache folder, then try again",
      },
    );
  }
  const bin = join(scratch, "usr", "bin");
  // A package whose usr or usr/bin is a symlink would point this outside the scratch folder (at /usr/bin itself).
  for (const folder of [join(scratch, "usr"), bin]) {
    const stat = await lstat(folder).catch(() => undefined);
    if (stat && !stat.isDirectory()) {
      throw new QusError(
        "QUS_QEMU_FETCH_FAILED",
        `${deb} holds ${folder.slice(scratch.length)} as a link, not a folder`,
        {
          hint: "the package is not a QEMU package as Debian builds it: nothing was taken from it; try another source",
        },
      );
    }
  }
  let names: string[] = [];
  try {
    names = await readdir(bin);
  } catch {
    return [];
  }
  // Per cpu, the file to keep: a `-static` name wins over a plain one when a package has both.
  const chosen = new Map<string, string>();
  for (const name of names.sort()) {
    const match = EMULATOR.exec(name);
    const cpu = match?.[1];
    if (!cpu) continue;
    const path = join(bin, name);
    if (!(await lstat(path)).isFile() || !isStaticElf(readHeaderSync(path, 4096))) continue;
    if (!chosen.has(cpu) || match[2]) chosen.set(cpu, name);
  }
  await mkdir(out, { recursive: true });
  const moved: string[] = [];
  for (const [cpu, name] of chosen) {
    const target = `qemu-${cpu}-static`;
    await rename(join(bin, name), join(out, target));
    await chmod(join(out, target), 0o755);
    moved.push(target);
  }
  return moved.sort();
}
