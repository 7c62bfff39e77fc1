import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { delimiter, isAbsolute, resolve } from "node:path";
import { QusError } from "../../errors.js";
import type { Interpreter } from "../../plan.js";
import { formatCommand } from "../../shell-quote.js";
import { interpreterBase, type QemuCpu, requireTarget } from "../../targets.js";
import { readHeaderSync } from "./host.js";

/** Folders searched when no --qemu-path is given: PATH, then where distributions install QEMU. */
export function defaultSearchDirs(path = process.env.PATH ?? ""): string[] {
  const dirs = [...path.split(delimiter), "/usr/bin", "/usr/local/bin", "/usr/sbin"].filter((dir) =>
    dir.startsWith("/"),
  );
  return [...new Set(dirs)];
}

/**
 * Finds the QEMU interpreter for each cpu: `qemu-<cpu>-static`, then `qemu-<cpu>`, in each folder in order (for a
 * cpu QEMU runs with another's emulator, that one's: `qemu-i386` for i486; see {@link interpreterBase}).
 * A static one is preferred anywhere in the search (dynamic ones fail inside containers with the F flag).
 */
export function findInterpreters(cpus: readonly QemuCpu[], dirs: readonly string[]): Map<QemuCpu, Interpreter> {
  // One listing per folder instead of a stat per candidate: hundreds of lookups become a few readdirs.
  const listings = dirs.map((dir) => ({ dir, names: listQemu(dir) }));
  const found = new Map<QemuCpu, Interpreter>();
  for (const cpu of cpus) {
    const interpreter = findInterpreter(cpu, listings);
    if (interpreter) found.set(cpu, interpreter);
  }
  return found;
}

function listQemu(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir).filter((name) => name.startsWith("qemu-")));
  } catch {
    return new Set();
  }
}

function findInterpreter(
  cpu: QemuCpu,
  listings: readonly { dir: string; names: Set<string> }[],
): Interpreter | undefined {
  let dynamic: Interpreter | undefined;
  const base = interpreterBase(requireTarget(cpu));
  for (const { dir, names } of listings) {
    for (const name of [`${base}-static`, base]) {
      const path = `${dir}/${name}`;
      if (!names.has(name) || !isExecutable(path)) continue;
      if (isStaticElf(readHeaderSync(path, 4096))) return { path, static: true };
      dynamic ??= { path, static: false };
    }
  }
  return dynamic;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const PT_INTERP = 3;

/** Whether an ELF file (its first few KiB) is statically linked: it has no PT_INTERP program header. */
export function isStaticElf(head: Uint8Array): boolean {
  if (head.length < 52 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const is64 = head[4] === 2;
  const little = head[5] === 1;
  const phoff = is64 ? Number(view.getBigUint64(32, little)) : view.getUint32(28, little);
  const phentsize = view.getUint16(is64 ? 54 : 42, little);
  const phnum = view.getUint16(is64 ? 56 : 44, little);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > head.length) return false;
    if (view.getUint32(at, little) === PT_INTERP) return false;
  }
  return true;
}

/** Checks a `--qemu-path` before anything runs: an absolute path of one existing folder (not a PATH-like list). */
export function validateQemuPath(dir: string): void {
  const usage = (problem: string, hint: string) =>
    new QusError("QUS_USAGE", `--qemu-path ${JSON.stringify(dir)}: ${problem}`, { hint });
  if (dir.includes(delimiter))
    throw usage("one folder is expected, not a list", "pass one folder, e.g. --qemu-path /usr/bin");
  if (!isAbsolute(dir))
    throw usage(
      "the path must be absolute",
      `pass it as an absolute path, e.g. --qemu-path ${formatCommand([resolve(dir)])}`,
    );
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw usage("no such folder", "pass the folder that holds qemu-<cpu>-static (Debian: /usr/bin)");
  }
  if (!isDir) throw usage("not a folder", "pass the folder that holds qemu-<cpu>-static, not the file itself");
}
