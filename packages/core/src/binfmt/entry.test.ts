import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { entryPattern, parseEntry } from "./entry.js";
import { toHex } from "./escape.js";

const AARCH64 = `enabled
interpreter /usr/bin/qemu-aarch64-static
flags: OCF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`;

const hex = (bytes: Uint8Array | undefined) => (bytes ? toHex(bytes) : undefined);

describe("parseEntry on entry files as the kernel prints them", () => {
  it("an enabled type M entry with a mask", () => {
    const entry = parseEntry("qemu-aarch64", AARCH64);
    expect(entry).toMatchObject({
      name: "qemu-aarch64",
      enabled: true,
      interpreter: "/usr/bin/qemu-aarch64-static",
      flags: "OCF",
      offset: 0,
      extension: undefined,
    });
    expect(hex(entry.magic)).toBe("7f454c460201010000000000000000000200b700");
    expect(hex(entry.mask)).toBe("ffffffffffffff00fffffffffffffffffeffffff");
    const pattern = entryPattern(entry);
    expect(pattern?.offset).toBe(0);
    expect(hex(pattern?.magic)).toBe(hex(entry.magic));
    expect(hex(pattern?.mask)).toBe(hex(entry.mask));
  });

  it("a disabled entry", () => {
    const entry = parseEntry("qemu-aarch64", AARCH64.replace("enabled", "disabled"));
    expect(entry.enabled).toBe(false);
    expect(entry.interpreter).toBe("/usr/bin/qemu-aarch64-static");
  });

  it.each([
    ["flags: POCF", "POCF"],
    ["flags: OCF", "OCF"],
    ["flags: F", "F"],
    ["flags: ", ""],
    ["flags:", ""],
    ["flags: OCFX", "OCFX"],
  ])("%j → flags %j", (line, flags) => {
    expect(parseEntry("qemu-aarch64", AARCH64.replace("flags: OCF", line)).flags).toBe(flags);
  });

  it("an extension (type E) entry has no magic and no pattern", () => {
    const entry = parseEntry("jar", "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n");
    expect(entry).toMatchObject({ enabled: true, interpreter: "/usr/bin/jexec", flags: "", extension: ".jar" });
    expect(entry.magic).toBeUndefined();
    expect(entryPattern(entry)).toBeUndefined();
  });

  it("an entry registered without a mask, at an offset", () => {
    const entry = parseEntry("WSLInterop", "enabled\ninterpreter /init\nflags: PF\noffset 2\nmagic 4d5a\n");
    expect(entry).toMatchObject({ interpreter: "/init", flags: "PF", offset: 2 });
    expect(hex(entry.magic)).toBe("4d5a");
    expect(entry.mask).toBeUndefined();
    expect(entryPattern(entry)).toEqual({ offset: 2, magic: entry.magic, mask: undefined });
  });

  it("ignores lines it does not know and keeps the rest", () => {
    const entry = parseEntry("qemu-aarch64", `${AARCH64}namespace 4026531837\nsomething new\n`);
    expect(entry.flags).toBe("OCF");
    expect(hex(entry.mask)).toBe("ffffffffffffff00fffffffffffffffffeffffff");
  });

  it("an empty file is a disabled entry with nothing in it", () => {
    expect(parseEntry("x", "")).toEqual({
      name: "x",
      enabled: false,
      interpreter: "",
      flags: "",
      offset: 0,
      magic: undefined,
      mask: undefined,
      extension: undefined,
    });
  });

  it("malformed hex leaves the field out rather than guessing", () => {
    const entry = parseEntry("x", "enabled\ninterpreter /x\nflags: F\noffset 0\nmagic 7f4\nmask zz\n");
    expect(entry.magic).toBeUndefined();
    expect(entry.mask).toBeUndefined();
  });
});

/** What binfmt_misc prints in `/proc/sys/fs/binfmt_misc/<name>` for a type M entry (fs/binfmt_misc.c). */
interface KernelEntry {
  readonly enabled: boolean;
  readonly interpreter: string;
  readonly flags: string;
  readonly offset: number;
  readonly magic: Uint8Array;
  readonly mask: Uint8Array | undefined;
}

function kernelEntryText(e: KernelEntry): string {
  const mask = e.mask ? `mask ${toHex(e.mask)}\n` : "";
  return `${e.enabled ? "enabled" : "disabled"}\ninterpreter ${e.interpreter}\nflags: ${e.flags}\noffset ${e.offset}\nmagic ${toHex(e.magic)}\n${mask}`;
}

const kernelEntry: fc.Arbitrary<KernelEntry> = fc.integer({ min: 1, max: 40 }).chain((length) =>
  fc.record({
    enabled: fc.boolean(),
    interpreter: fc.stringMatching(/^\/[^\n:\0]{0,100}$/),
    // The kernel prints the letters it knows in this order.
    flags: fc.subarray([..."POCF"]).map((letters) => letters.join("")),
    offset: fc.integer({ min: 0, max: 20 }),
    magic: fc.uint8Array({ minLength: length, maxLength: length }),
    mask: fc.option(fc.uint8Array({ minLength: length, maxLength: length }), { nil: undefined }),
  }),
);

const entryName = fc.stringMatching(/^[A-Za-z0-9_.+-]{1,40}$/).filter((n) => n !== "." && n !== "..");

describe("parseEntry properties", () => {
  it("gives back what the kernel printed", () => {
    fc.assert(
      fc.property(entryName, kernelEntry, (name, e) => {
        const parsed = parseEntry(name, kernelEntryText(e));
        expect(parsed.name).toBe(name);
        expect(parsed.enabled).toBe(e.enabled);
        expect(parsed.interpreter).toBe(e.interpreter);
        expect(parsed.flags).toBe(e.flags);
        expect(parsed.offset).toBe(e.offset);
        expect(hex(parsed.magic)).toBe(toHex(e.magic));
        expect(hex(parsed.mask)).toBe(hex(e.mask));
        expect(parsed.extension).toBeUndefined();
      }),
    );
  });

  it("never throws, whatever the text", () => {
    const line = fc.oneof(
      fc.string(),
      fc.constantFrom("enabled", "disabled", "flags:", "offset x", "offset -1", "magic ", "mask 0", "extension "),
      fc
        .tuple(fc.constantFrom("interpreter ", "flags: ", "offset ", "magic ", "mask "), fc.string())
        .map(([k, v]) => k + v),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.array(line).map((lines) => lines.join("\n")),
        ),
        (text) => {
          const entry = parseEntry("x", text);
          expect(typeof entry.enabled).toBe("boolean");
          expect(Number.isFinite(entry.offset)).toBe(true);
        },
      ),
    );
  });
});
