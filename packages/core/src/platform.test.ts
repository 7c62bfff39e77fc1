import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isQusError, QusError } from "./errors.js";
import { editDistance, knownPlatformNames, resolvePlatforms } from "./platform.js";
import { TARGETS } from "./targets.js";

const cpus = (input: string | readonly string[]) => resolvePlatforms(input).map((target) => target.cpu);

/** The QusError a call throws; fails the test when it throws something else or nothing. */
function qusErrorOf(call: () => unknown): QusError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(QusError);
    return error as QusError;
  }
  throw new Error("expected a QusError, nothing was thrown");
}

describe("resolvePlatforms", () => {
  it.each([
    ["linux/arm64", ["aarch64"]],
    ["arm64", ["aarch64"]],
    ["aarch64", ["aarch64"]],
    ["linux/arm64/v8", ["aarch64"]],
    ["linux/arm/v7", ["arm"]],
    ["armhf", ["arm"]],
    ["armel", ["arm"]],
    ["ppc64el", ["ppc64le"]],
    ["linux/ppc64le", ["ppc64le"]],
    ["linux/amd64/v2", ["x86_64"]],
    ["amd64", ["x86_64"]],
    ["linux/386", ["i386"]],
    ["mipsle", ["mipsel"]],
    ["loong64", ["loongarch64"]],
    ["ARM64", ["aarch64"]],
    ["Linux/RISCV64", ["riscv64"]],
    ["linux/arm64,linux/riscv64", ["aarch64", "riscv64"]],
    ["linux/arm64, riscv64 ,s390x", ["aarch64", "riscv64", "s390x"]],
    ["arm64 riscv64", ["aarch64", "riscv64"]],
    [" arm64,,riscv64, ", ["aarch64", "riscv64"]],
    ["riscv64,arm64", ["riscv64", "aarch64"]],
    ["arm64,aarch64,linux/arm64,ARM64", ["aarch64"]],
    ["armhf,armel,arm/v6", ["arm"]],
  ] as const)("%j → %j", (input, expected) => {
    expect(cpus(input)).toEqual(expected);
  });

  it("accepts a list of arguments", () => {
    expect(cpus(["linux/arm64", "riscv64,s390x"])).toEqual(["aarch64", "riscv64", "s390x"]);
  });

  it("all gives every target once, in table order", () => {
    expect(cpus("all")).toEqual(TARGETS.map((t) => t.cpu));
    expect(cpus("all")).toHaveLength(34);
    expect(cpus("ALL,arm64")).toHaveLength(34);
    expect(cpus("arm64,all")[0]).toBe("aarch64");
  });

  it.each([
    ["arm65", "arm64"],
    ["riscv", "riscv64"],
    ["linux/arm65", "arm64"],
    ["ppc64elx", "ppc64el"],
  ])("unknown %j: QUS_UNKNOWN_PLATFORM naming it, with a hint naming %j", (input, suggestion) => {
    const error = qusErrorOf(() => resolvePlatforms(`linux/amd64,${input}`));
    expect(error.code).toBe("QUS_UNKNOWN_PLATFORM");
    expect(error.kind).toBe("input");
    expect(error.message).toContain(JSON.stringify(input));
    expect(error.hint).toContain(JSON.stringify(suggestion));
  });

  it.each(["", "   ", ",", " , ,"])("no names (%j): QUS_USAGE", (input) => {
    expect(qusErrorOf(() => resolvePlatforms(input)).code).toBe("QUS_USAGE");
  });

  it("no names in an empty list: QUS_USAGE", () => {
    expect(qusErrorOf(() => resolvePlatforms([])).code).toBe("QUS_USAGE");
  });
});

describe("resolvePlatforms properties", () => {
  const known = knownPlatformNames();

  it("any subset of known names, comma separated, resolves without duplicates", () => {
    fc.assert(
      fc.property(fc.subarray(known, { minLength: 1 }), fc.constantFrom(",", ", ", " "), (names, separator) => {
        const resolved = cpus(names.join(separator));
        expect(new Set(resolved).size).toBe(resolved.length);
        expect(new Set(resolved)).toEqual(new Set(names.flatMap((name) => cpus(name))));
      }),
    );
  });

  it("any other string either resolves or throws a QusError", () => {
    const knownSet = new Set(known);
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom(..."armx64/, lin") })),
        (input) => {
          fc.pre(!knownSet.has(input.toLowerCase()));
          try {
            const resolved = resolvePlatforms(input);
            expect(resolved.length).toBeGreaterThan(0);
          } catch (error) {
            expect(isQusError(error)).toBe(true);
            expect(["QUS_UNKNOWN_PLATFORM", "QUS_USAGE"]).toContain((error as QusError).code);
          }
        },
      ),
    );
  });
});

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["arm64", "arm64", 0],
    ["arm65", "arm64", 1],
    ["riscv", "riscv64", 2],
    ["", "abc", 3],
    ["kitten", "sitting", 3],
  ] as const)("%j → %j is %i", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});
