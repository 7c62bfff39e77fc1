import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type MagicPattern, matchesHeader, patternsOverlap } from "./match.js";

const b = (...bytes: number[]) => Uint8Array.from(bytes);
const pattern = (offset: number, magic: Uint8Array, mask?: Uint8Array): MagicPattern => ({ offset, magic, mask });

describe("matchesHeader", () => {
  it.each([
    ["exact bytes, no mask", pattern(0, b(1, 2)), b(1, 2, 3), true],
    ["one byte differs, no mask", pattern(0, b(1, 2)), b(1, 3, 3), false],
    ["the mask clears the differing bits", pattern(0, b(1, 2), b(0xff, 0xfe)), b(1, 3), true],
    ["the mask keeps a differing bit", pattern(0, b(1, 2), b(0xff, 0x02)), b(1, 0), false],
    ["a zero mask ignores the byte", pattern(0, b(1, 2), b(0xff, 0x00)), b(1, 0x99), true],
    ["at an offset", pattern(2, b(7)), b(0, 0, 7), true],
    ["at an offset, the bytes before do not count", pattern(2, b(7)), b(7, 7, 8), false],
    ["a header shorter than offset + magic", pattern(2, b(7, 8)), b(0, 0, 7), false],
    ["a header exactly as long as offset + magic", pattern(1, b(7, 8)), b(0, 7, 8), true],
    ["an empty header", pattern(0, b(0), b(0)), b(), false],
  ] as const)("%s → %s", (_, p, header, expected) => {
    expect(matchesHeader(p, header)).toBe(expected);
  });
});

describe("patternsOverlap", () => {
  it.each([
    ["the same pattern", pattern(0, b(1, 2)), pattern(0, b(1, 2)), true],
    ["different bytes, no masks", pattern(0, b(1, 2)), pattern(0, b(1, 3)), false],
    ["a prefix of the other", pattern(0, b(1)), pattern(0, b(1, 2, 3)), true],
    ["differing bits that one mask ignores", pattern(0, b(1, 2), b(0xff, 0xfe)), pattern(0, b(1, 3)), true],
    ["differing bits both masks count", pattern(0, b(0x10), b(0xf0)), pattern(0, b(0x20), b(0x30)), false],
    ["masks that count disjoint bits", pattern(0, b(0x10), b(0xf0)), pattern(0, b(0x01), b(0x0f)), true],
    ["bytes that do not meet", pattern(0, b(1, 2)), pattern(2, b(9, 9)), true],
    ["offsets that meet and agree", pattern(0, b(1, 2, 3)), pattern(1, b(2, 3, 4)), true],
    ["offsets that meet and disagree", pattern(0, b(1, 2, 3)), pattern(1, b(2, 4)), false],
    ["an absent mask counts every bit", pattern(0, b(0x00)), pattern(0, b(0x80), b(0x80)), false],
  ] as const)("%s → %s, both ways round", (_, a, c, expected) => {
    expect(patternsOverlap(a, c)).toBe(expected);
    expect(patternsOverlap(c, a)).toBe(expected);
  });

  it("agrees with matchesHeader: a header both claim means they overlap", () => {
    const a = pattern(0, b(0x7f, 0x45, 0x01), b(0xff, 0xff, 0xfe));
    const c = pattern(1, b(0x45, 0x01));
    const header = b(0x7f, 0x45, 0x01, 0x00);
    expect(matchesHeader(a, header) && matchesHeader(c, header)).toBe(true);
    expect(patternsOverlap(a, c)).toBe(true);
  });
});

describe("patternsOverlap properties", () => {
  // Small bytes and offsets, so that overlaps are common.
  const smallPattern = fc.integer({ min: 1, max: 4 }).chain((length) =>
    fc.record({
      offset: fc.integer({ min: 0, max: 3 }),
      magic: fc.uint8Array({ minLength: length, maxLength: length, max: 3 }),
      mask: fc.option(fc.uint8Array({ minLength: length, maxLength: length, max: 3 }), { nil: undefined }),
    }),
  );

  /** A header both patterns claim when they overlap: each byte the bits either pattern counts. */
  function witness(a: MagicPattern, c: MagicPattern): Uint8Array {
    const header = new Uint8Array(8);
    for (const p of [a, c]) {
      p.magic.forEach((byte, i) => {
        header[p.offset + i] = (header[p.offset + i] ?? 0) | (byte & (p.mask ? (p.mask[i] ?? 0) : 0xff));
      });
    }
    return header;
  }

  it("overlap exactly when some header is claimed by both", () => {
    fc.assert(
      fc.property(smallPattern, smallPattern, fc.uint8Array({ minLength: 8, maxLength: 8, max: 3 }), (a, c, header) => {
        const overlap = patternsOverlap(a, c);
        if (matchesHeader(a, header) && matchesHeader(c, header)) expect(overlap).toBe(true);
        const both = matchesHeader(a, witness(a, c)) && matchesHeader(c, witness(a, c));
        expect(both).toBe(overlap);
      }),
    );
  });
});
