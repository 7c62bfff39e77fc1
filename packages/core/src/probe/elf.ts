/**
 * A minimal ELF writer: an ELF header, one PT_LOAD program header and the code, nothing else (no sections, no
 * symbols). Enough for the Linux kernel and QEMU's linux-user loader to map and run the code.
 */

/** What {@link writeElf} needs to know about the program. */
export interface ElfSpec {
  /** ELFCLASS32 or ELFCLASS64. */
  readonly elfClass: 32 | 64;
  /** ELFDATA2LSB (true) or ELFDATA2MSB (false); applies to every header field. */
  readonly littleEndian: boolean;
  /** e_machine (EM_*). */
  readonly machine: number;
  /** e_flags, arch specific (ABI, ISA level). */
  readonly flags: number;
  /** Machine code, already encoded; execution starts at its first byte. */
  readonly code: Uint8Array;
}

/** Virtual address of the file's first byte: 64 KiB aligned, so fine for 4K, 16K and 64K page arches. */
export const LOAD_ADDRESS = 0x400000;
const ALIGN = 0x10000;

const ET_EXEC = 2;
const PT_LOAD = 1;
const PF_R = 4;
const PF_X = 1;

/** Header sizes per class: e_ehsize, e_phentsize, e_shentsize. */
const SIZES = { 32: { eh: 52, ph: 32, sh: 40 }, 64: { eh: 64, ph: 56, sh: 64 } } as const;

/** Builds an ET_EXEC image whose single R+X segment maps the whole file at {@link LOAD_ADDRESS}. */
export function writeElf(spec: ElfSpec): Uint8Array {
  const is64 = spec.elfClass === 64;
  const size = SIZES[spec.elfClass];
  const codeOffset = size.eh + size.ph;
  const total = codeOffset + spec.code.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const le = spec.littleEndian;
  // Address-sized field: 4 bytes in ELF32, 8 in ELF64.
  const addr = (offset: number, value: number): void =>
    is64 ? view.setBigUint64(offset, BigInt(value), le) : view.setUint32(offset, value, le);

  // e_ident: magic, class, data, EI_VERSION=1, EI_OSABI=0 (SYSV), EI_ABIVERSION=0, padding.
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  view.setUint16(16, ET_EXEC, le); // e_type
  view.setUint16(18, spec.machine, le); // e_machine
  view.setUint32(20, 1, le); // e_version
  addr(24, LOAD_ADDRESS + codeOffset); // e_entry
  addr(is64 ? 32 : 28, size.eh); // e_phoff: right after this header; e_shoff stays 0
  const rest = is64 ? 48 : 36; // e_flags, then the six 16-bit size/count fields
  view.setUint32(rest, spec.flags, le);
  view.setUint16(rest + 4, size.eh, le); // e_ehsize
  view.setUint16(rest + 6, size.ph, le); // e_phentsize
  view.setUint16(rest + 8, 1, le); // e_phnum
  view.setUint16(rest + 10, size.sh, le); // e_shentsize (e_shnum, e_shstrndx stay 0)

  // The program header: p_offset 0, p_vaddr = p_paddr = LOAD_ADDRESS, p_filesz = p_memsz = whole file.
  // ELF64 moves p_flags up to sit right after p_type.
  const ph = size.eh;
  view.setUint32(ph, PT_LOAD, le);
  view.setUint32(ph + (is64 ? 4 : 24), PF_R | PF_X, le);
  const fields: [number, number][] = [
    [0, 0],
    [1, LOAD_ADDRESS],
    [2, LOAD_ADDRESS],
    [3, total],
    [4, total],
    [5, ALIGN],
  ];
  for (const [index, value] of fields) {
    // p_offset..p_memsz are consecutive address-sized fields; ELF32's p_align comes after p_flags.
    const at = is64 ? 8 + index * 8 : index === 5 ? 28 : 4 + index * 4;
    addr(ph + at, value);
  }

  out.set(spec.code, codeOffset);
  return out;
}
