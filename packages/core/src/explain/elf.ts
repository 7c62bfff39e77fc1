import { printable } from "../display.js";
import { QusError } from "../errors.js";
import { abiOf, machineName } from "./abi.js";

/** What an ELF file says about itself: enough to tell which kernel handler and which loader it needs. */
export interface ElfInfo {
  /** 32 or 64 (EI_CLASS). */
  readonly bits: 32 | 64;
  readonly endianness: "little" | "big";
  /** EI_OSABI (0: System V, 3: Linux). */
  readonly osabi: number;
  /** e_type in words: `executable`, `position-independent` (ET_DYN), `relocatable`, `core`, or `type N`. */
  readonly type: string;
  /** Whether the kernel would load it as a program at all (ET_EXEC or ET_DYN). */
  readonly program: boolean;
  /** e_machine. */
  readonly machine: number;
  /** e_machine in words (`AArch64`, `RISC-V`), `machine N` when qus does not know it. */
  readonly machineName: string;
  /** e_flags. */
  readonly flags: number;
  /** ABI facts the flags carry that decide what runs it (`hard-float`, `n32`, `ELFv2`), in words. */
  readonly abi: readonly string[];
  /** The loader it asks for (PT_INTERP); absent for a static program. */
  readonly interpreter?: string;
  readonly linkage: "static" | "dynamic";
}

/** Reads `length` bytes at `offset` of a file (fewer at its end). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

const PT_INTERP = 3;
const MAX_PHNUM = 4096;
const MAX_INTERP = 4096;
const MAX_PHENTSIZE = 1024;

/**
 * Reads the ELF header and program headers of a file. Throws QUS_NOT_ELF when it is not ELF, QUS_ELF_TRUNCATED
 * when the file ends inside its header, its program headers or its loader's name; `name` names the file in both.
 */
export function readElf(name: string, read: ReadAt): ElfInfo {
  const head = read(0, 64);
  if (head.length < 4 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) {
    throw new QusError("QUS_NOT_ELF", `${name}: not an ELF file${describeStart(head)}`, {
      hint: "qus explain reads compiled programs (ELF); a script runs through its #! interpreter, whose own file is what to explain",
    });
  }
  const truncated = (what: string) =>
    new QusError("QUS_ELF_TRUNCATED", `${name}: truncated ELF file: it ends inside its ${what}`, {
      hint: "the file is incomplete (an interrupted download or copy): fetch it again",
    });
  const bits = head[4] === 1 ? 32 : head[4] === 2 ? 64 : undefined;
  const endianness = head[5] === 1 ? "little" : head[5] === 2 ? "big" : undefined;
  if (head.length < 6) throw truncated("ELF header");
  if (bits === undefined || endianness === undefined) {
    throw new QusError(
      "QUS_NOT_ELF",
      `${name}: not a valid ELF file: class ${head[4]} and byte order ${head[5]} are not ELF's`,
      { hint: "the file starts like ELF but is damaged: fetch it again" },
    );
  }
  const headerSize = bits === 64 ? 64 : 52;
  if (head.length < headerSize) throw truncated("ELF header");
  const little = endianness === "little";
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const machine = view.getUint16(18, little);
  const eType = view.getUint16(16, little);
  const flags = view.getUint32(bits === 64 ? 48 : 36, little);
  const phoff = bits === 64 ? Number(view.getBigUint64(32, little)) : view.getUint32(28, little);
  const phentsize = view.getUint16(bits === 64 ? 54 : 42, little);
  const phnum = Math.min(view.getUint16(bits === 64 ? 56 : 44, little), MAX_PHNUM);
  const interpreter =
    phnum > 0 ? readInterpreter(read, { bits, little, phoff, phentsize, phnum }, truncated) : undefined;
  return {
    bits,
    endianness,
    osabi: head[7] ?? 0,
    type: TYPES[eType] ?? `type ${eType}`,
    program: eType === 2 || eType === 3,
    machine,
    machineName: machineName(machine),
    flags,
    abi: abiOf(machine, bits, flags),
    interpreter,
    linkage: interpreter === undefined ? "static" : "dynamic",
  };
}

const TYPES: Record<number, string> = { 1: "relocatable", 2: "executable", 3: "position-independent", 4: "core" };

interface ProgramHeaders {
  readonly bits: 32 | 64;
  readonly little: boolean;
  readonly phoff: number;
  readonly phentsize: number;
  readonly phnum: number;
}

function readInterpreter(
  read: ReadAt,
  headers: ProgramHeaders,
  truncated: (what: string) => QusError,
): string | undefined {
  const { bits, little, phoff, phentsize, phnum } = headers;
  const minimum = bits === 64 ? 56 : 32;
  if (phentsize < minimum) throw truncated(`program headers (entries of ${phentsize} bytes)`);
  // Kernels take entries of the standard size only; a larger one is no program and could ask for a huge read.
  if (phentsize > MAX_PHENTSIZE) throw truncated(`program headers (entries of ${phentsize} bytes)`);
  const table = read(phoff, phentsize * phnum);
  if (table.length < phentsize * phnum) throw truncated("program headers");
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    if (view.getUint32(at, little) !== PT_INTERP) continue;
    const offset = bits === 64 ? Number(view.getBigUint64(at + 8, little)) : view.getUint32(at + 4, little);
    const size = bits === 64 ? Number(view.getBigUint64(at + 32, little)) : view.getUint32(at + 16, little);
    // The kernel refuses a loader name shorter than 2 bytes or longer than PATH_MAX (exec format error).
    if (size < 2 || size > MAX_INTERP) throw truncated(`loader's name (PT_INTERP of ${size} bytes)`);
    const bytes = read(offset, size);
    if (bytes.length < size) throw truncated("loader's name (PT_INTERP)");
    const end = bytes.indexOf(0);
    const path = Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString("utf8");
    // Shown to people: control characters (a newline, a terminal escape) as \xNN, never raw.
    return printable(path);
  }
  return undefined;
}

function describeStart(head: Uint8Array): string {
  if (head.length === 0) return " (it is empty)";
  if (head[0] === 0x23 && head[1] === 0x21) return " (a script: it starts with #!)";
  return "";
}

/** A {@link ReadAt} over bytes in memory. */
export function readAtBytes(bytes: Uint8Array): ReadAt {
  return (offset, length) => bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length));
}
