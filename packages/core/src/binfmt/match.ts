/** A magic pattern: bytes at an offset, compared under a mask (absent mask: every bit counts). */
export interface MagicPattern {
  readonly offset: number;
  readonly magic: Uint8Array;
  readonly mask?: Uint8Array;
}

function maskAt(pattern: MagicPattern, index: number): number {
  return pattern.mask ? (pattern.mask[index] ?? 0) : 0xff;
}

/** Whether a file that starts with `header` is claimed by the pattern, as the kernel checks it. */
export function matchesHeader(pattern: MagicPattern, header: Uint8Array): boolean {
  if (header.length < pattern.offset + pattern.magic.length) return false;
  return pattern.magic.every((byte, i) => {
    const mask = maskAt(pattern, i);
    return ((header[pattern.offset + i] ?? 0) & mask) === (byte & mask);
  });
}

/** Whether some file could be claimed by both patterns: the bits both care about agree everywhere they meet. */
export function patternsOverlap(a: MagicPattern, b: MagicPattern): boolean {
  const start = Math.max(a.offset, b.offset);
  const end = Math.min(a.offset + a.magic.length, b.offset + b.magic.length);
  for (let position = start; position < end; position++) {
    const i = position - a.offset;
    const j = position - b.offset;
    const common = maskAt(a, i) & maskAt(b, j);
    if (((a.magic[i] ?? 0) & common) !== ((b.magic[j] ?? 0) & common)) return false;
  }
  return true;
}
