import { fromHex } from "./escape.js";
import { type MagicPattern, matchesHeader } from "./match.js";

/** One binfmt_misc entry as the kernel shows it in `/proc/sys/fs/binfmt_misc/<name>`. */
export interface BinfmtEntry {
  readonly name: string;
  readonly enabled: boolean;
  readonly interpreter: string;
  /** Flag letters as the kernel prints them (`OCF`); letters qus does not know are kept. */
  readonly flags: string;
  readonly offset: number;
  /** Magic bytes of a type M entry. */
  readonly magic?: Uint8Array;
  /** Mask bytes; absent when the entry was registered without one (all bits count). */
  readonly mask?: Uint8Array;
  /** File extension of a type E entry. */
  readonly extension?: string;
  /** Known by name only: the driver cannot read its contents (tonistiigi/binfmt reports names). */
  readonly opaque?: boolean;
}

/**
 * Parses the text of an entry file. Lenient: unknown lines and unknown flag letters are kept or ignored,
 * never fatal, since newer kernels print more.
 */
export function parseEntry(name: string, text: string): BinfmtEntry {
  let enabled = false;
  let interpreter = "";
  let flags = "";
  let offset = 0;
  let magic: Uint8Array | undefined;
  let mask: Uint8Array | undefined;
  let extension: string | undefined;
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "enabled") enabled = true;
    else if (line === "disabled") enabled = false;
    // Keep the path as printed, trailing whitespace included: plan compares it with the wanted interpreter.
    else if (line.startsWith("interpreter ")) interpreter = rawLine.slice(rawLine.indexOf("interpreter ") + 12);
    else if (line.startsWith("flags:")) flags = line.slice("flags:".length).trim();
    else if (line.startsWith("offset ")) offset = Number.parseInt(line.slice("offset ".length), 10) || 0;
    else if (line.startsWith("magic ")) magic = parseHexField(line.slice("magic ".length));
    else if (line.startsWith("mask ")) mask = parseHexField(line.slice("mask ".length));
    else if (line.startsWith("extension ")) extension = line.slice("extension ".length);
  }
  return { name, enabled, interpreter, flags, offset, magic, mask, extension };
}

function parseHexField(value: string): Uint8Array | undefined {
  const hex = value.trim();
  return /^([0-9a-fA-F]{2})+$/.test(hex) ? fromHex(hex) : undefined;
}

/** The magic pattern of a type M entry, or undefined for a type E (extension) entry. */
export function entryPattern(entry: BinfmtEntry): MagicPattern | undefined {
  return entry.magic ? { offset: entry.offset, magic: entry.magic, mask: entry.mask } : undefined;
}

/** Whether some enabled entry claims a file that starts with `header`. */
export function claimedBy(entries: readonly BinfmtEntry[], header: Uint8Array): boolean {
  return claimantsOf(entries, header).length > 0;
}

/** The enabled entries that claim a file that starts with `header`. */
export function claimantsOf(entries: readonly BinfmtEntry[], header: Uint8Array): BinfmtEntry[] {
  return entries.filter((entry) => {
    const pattern = entryPattern(entry);
    return entry.enabled && pattern !== undefined && matchesHeader(pattern, header);
  });
}
