import { describe, expect, it } from "vitest";
import { defaultSize } from "./convert.js";
import { parseSize } from "./disk.js";

const MiB = 2 ** 20;

describe("defaultSize", () => {
  it.each<[number, string]>([
    [0, "128M"],
    [1, "192M"],
    [100 * MiB, "256M"],
    [512 * MiB, "768M"],
    [1024 * MiB, "1408M"],
  ])("%i bytes: %s", (bytes, size) => {
    expect(defaultSize(bytes)).toBe(size);
  });

  it("is whole MiB, a multiple of 64, at least a quarter more than the image and 128 MiB, and never shrinks", () => {
    let previous = 0;
    for (const bytes of [0, 1, 5 * MiB, 77 * MiB + 3, 300 * MiB, 2 * 1024 * MiB, 10 * 1024 * MiB + 17]) {
      const size = defaultSize(bytes);
      expect(size).toMatch(/^\d+M$/);
      const mib = Number.parseInt(size, 10);
      expect(mib % 64).toBe(0);
      expect(mib * MiB).toBeGreaterThanOrEqual(bytes * 1.25 + 128 * MiB);
      // Not more than one 64 MiB step beyond what is needed.
      expect(mib * MiB).toBeLessThan(bytes * 1.25 + 128 * MiB + 65 * MiB);
      expect(mib).toBeGreaterThanOrEqual(previous);
      previous = mib;
      // What --size would also take.
      expect(parseSize(size)).toBe(size);
    }
  });
});
