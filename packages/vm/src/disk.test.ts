import { describe, expect, it } from "vitest";
import { parseSize } from "./disk.js";
import { qusErrorOf } from "./test-support.js";

describe("parseSize", () => {
  it.each(["4G", "512M", "1536M", "1G", "64M", "999999M", "100G"])("%s is a disk size, given back as it is", (size) => {
    expect(parseSize(size)).toBe(size);
  });

  it.each([
    "",
    "4",
    "G",
    "0G",
    "0M",
    "04G",
    "4g",
    "512m",
    "4GB",
    "4GiB",
    "4T",
    "4K",
    "1.5G",
    "-1G",
    " 4G",
    "4G ",
    "4 G",
    "1234567M",
  ])("%j: QUS_USAGE with an example", (size) => {
    const error = qusErrorOf(() => parseSize(size));
    expect(error.code).toBe("QUS_USAGE");
    expect(error.message).toContain(JSON.stringify(size));
    expect(error.hint).toMatch(/--size 4G/);
  });
});
