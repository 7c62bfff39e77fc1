import { closeSync, constants, openSync, readSync, statSync } from "node:fs";
import { errnoCode, QusError } from "../errors.js";
import { type ElfInfo, type ReadAt, readElf } from "./elf.js";
import type { LoaderState } from "./judge.js";

/** How many bytes of a file binfmt_misc matches against (BINPRM_BUF_SIZE). */
export const KERNEL_HEADER_BYTES = 256;

/** An ELF file read: its facts and the first bytes the kernel matches. */
export interface ReadElf {
  readonly elf: ElfInfo;
  readonly header: Uint8Array;
}

/**
 * Reads a file's ELF facts on this machine. Throws QUS_FILE_UNREADABLE (missing, a folder, no permission),
 * QUS_NOT_ELF or QUS_ELF_TRUNCATED, each naming the file (as `name`: a path in an image is not the local copy's).
 */
export function readElfFile(path: string, name = path): ReadElf {
  const unreadable = (problem: string, hint: string, cause?: unknown) =>
    new QusError("QUS_FILE_UNREADABLE", `${name}: ${problem}`, { hint, cause });
  let fd: number;
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw unreadable("is a folder, not a program", "name a program file inside it");
    // A FIFO or a device would block an open or a read for ever (or do something on open): files only.
    if (!stat.isFile()) throw unreadable("is not a regular file (a pipe, socket or device)", "name a program file");
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    size = stat.size;
  } catch (error) {
    if (error instanceof QusError) throw error;
    const code = errnoCode(error);
    if (code === "ENOENT" || code === "ENOTDIR")
      throw unreadable("no such file", "check the path (a command's path: command -v NAME)", error);
    if (code === "EACCES" || code === "EPERM")
      throw unreadable("permission denied", "run qus as a user who may read the file", error);
    throw unreadable(`cannot be read (${code ?? String(error)})`, "check the path", error);
  }
  try {
    // Offsets and lengths come from the file itself: never past its end (no huge buffers, no unsafe positions).
    const read: ReadAt = (offset, length) => {
      const available = Math.min(length, Math.max(0, size - offset));
      if (!(available > 0)) return new Uint8Array(0);
      const buffer = new Uint8Array(available);
      return buffer.subarray(0, readSync(fd, buffer, 0, available, offset));
    };
    // The kernel zero-fills what is past the end of a short file before matching: so does qus.
    const header = new Uint8Array(KERNEL_HEADER_BYTES);
    header.set(read(0, KERNEL_HEADER_BYTES));
    return { elf: readElf(name, read), header };
  } catch (error) {
    if (errnoCode(error) === "EISDIR") throw unreadable("is a folder, not a program", "name a program file inside it");
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** What a loader's first bytes are to a program: of its machine (class, byte order, e_machine) or another's. */
export function loaderStateOf(head: Uint8Array | undefined, program: ElfInfo): LoaderState {
  if (head === undefined) return "missing";
  try {
    const elf = readElfHeaderOnly(head);
    return elf.machine === program.machine && elf.bits === program.bits && elf.endianness === program.endianness
      ? "present"
      : "foreign";
  } catch {
    return "foreign";
  }
}

function readElfHeaderOnly(head: Uint8Array): Pick<ElfInfo, "machine" | "bits" | "endianness"> {
  const isElf = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46 && head.length >= 20;
  if (!isElf) throw new Error("not ELF");
  const little = head[5] === 1;
  const machine = little ? (head[18] ?? 0) | ((head[19] ?? 0) << 8) : ((head[18] ?? 0) << 8) | (head[19] ?? 0);
  return { machine, bits: head[4] === 2 ? 64 : 32, endianness: little ? "little" : "big" };
}

/** The first bytes of a path on this machine (following symlinks), or undefined when it does not exist. */
export function headOfHostFile(path: string, length = 64): Uint8Array | undefined {
  try {
    // A loader path comes from the program itself: a FIFO or device there must not block or be opened.
    if (!statSync(path).isFile()) return undefined;
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const buffer = new Uint8Array(length);
      return buffer.subarray(0, readSync(fd, buffer, 0, length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
