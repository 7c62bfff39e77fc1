import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter } from "node:path";
import type { Exec } from "../../exec.js";
import type { Interpreter } from "../../plan.js";
import type { QemuCpu } from "../../targets.js";
import { readHeader } from "./host.js";

/** Folders searched when no --qemu-path is given: PATH, then where distributions install QEMU. */
export function defaultSearchDirs(path = process.env.PATH ?? ""): string[] {
  const dirs = [...path.split(delimiter), "/usr/bin", "/usr/local/bin", "/usr/sbin"].filter((dir) =>
    dir.startsWith("/"),
  );
  return [...new Set(dirs)];
}

/**
 * Finds the QEMU interpreter for each cpu: `qemu-<cpu>-static`, then `qemu-<cpu>`, in each folder.
 * A static one is preferred anywhere in the search (dynamic ones fail inside containers with the F flag).
 */
export async function findInterpreters(
  cpus: readonly QemuCpu[],
  dirs: readonly string[],
): Promise<Map<QemuCpu, Interpreter>> {
  const found = new Map<QemuCpu, Interpreter>();
  await Promise.all(
    cpus.map(async (cpu) => {
      const interpreter = await findInterpreter(cpu, dirs);
      if (interpreter) found.set(cpu, interpreter);
    }),
  );
  return found;
}

async function findInterpreter(cpu: QemuCpu, dirs: readonly string[]): Promise<Interpreter | undefined> {
  const candidates = dirs.flatMap((dir) => [`${dir}/qemu-${cpu}-static`, `${dir}/qemu-${cpu}`]);
  const present = await Promise.all(candidates.map(async (path) => ((await isExecutable(path)) ? path : undefined)));
  let dynamic: Interpreter | undefined;
  for (const path of present) {
    if (path === undefined) continue;
    const isStatic = isStaticElf(await readHeader(path, 4096).catch(() => new Uint8Array()));
    if (isStatic) return { path, static: true };
    dynamic ??= { path, static: false };
  }
  return dynamic;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
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

/** First line of `<interpreter> --version` for each path, run in parallel; paths that fail are left out. */
export async function qemuVersions(exec: Exec, paths: Iterable<string>): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  await Promise.all(
    [...new Set(paths)].map(async (path) => {
      const result = await exec(path, ["--version"], { timeoutMs: 10_000 });
      const line = result.stdout.split("\n")[0]?.trim();
      if (result.exitCode === 0 && line) versions.set(path, line);
    }),
  );
  return versions;
}
