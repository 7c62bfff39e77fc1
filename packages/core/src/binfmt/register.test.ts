import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QusError } from "../errors.js";
import { wantedRegistration } from "../plan.js";
import { TARGETS, targetByCpu } from "../targets.js";
import { decodeEscaped, encodeEscaped } from "./escape.js";
import { effectiveFlags, parseFlags, sameFlags } from "./flags.js";
import { LIMITS, type Registration, renderRegister, validateRegistration } from "./register.js";

const aarch64 = targetByCpu("aarch64");
if (!aarch64) throw new Error("no aarch64 target");
const QEMU_AARCH64 = wantedRegistration(aarch64, "/usr/bin/qemu-aarch64-static", "FC");

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

describe("renderRegister", () => {
  it("renders qemu-aarch64 the way Debian writes it, every byte escaped", () => {
    expect(renderRegister(QEMU_AARCH64)).toBe(
      ":qemu-aarch64:M::" +
        "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:" +
        "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:" +
        "/usr/bin/qemu-aarch64-static:FC",
    );
  });

  it("with Debian's interpreter and flags, is Debian's binfmt.d line byte for byte", () => {
    const file = new URL("../../test-fixtures/debian-binfmt.d/qemu-aarch64.conf", import.meta.url);
    const line = readFileSync(file, "utf8").trim();
    expect(renderRegister(wantedRegistration(aarch64, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "OPF"))).toBe(line);
  });

  it("writes a non-zero offset and leaves an absent mask empty", () => {
    const registration = { name: "mz", offset: 2, magic: Uint8Array.of(0x4d, 0x5a), interpreter: "/init", flags: "" };
    expect(renderRegister(registration)).toBe(":mz:M:2:\\x4d\\x5a::/init:");
  });

  it("renders every target with every flag combination within the kernel's limits", () => {
    for (const target of TARGETS) {
      const text = renderRegister(wantedRegistration(target, `/usr/bin/qemu-${target.cpu}-static`, "POCF"));
      expect(text.length).toBeLessThanOrEqual(LIMITS.registerString);
      expect(text).not.toMatch(/[\n\0]/);
      expect(text.split(":")).toHaveLength(8);
    }
  });
});

describe("validateRegistration", () => {
  const interpreterOf = (length: number) => `/${"q".repeat(length - 1)}`;
  const bytes = (length: number, value = 0x7f) => new Uint8Array(length).fill(value);

  it.each<[string, Partial<Registration>]>([
    ["an interpreter of 128 characters", { interpreter: interpreterOf(128) }],
    ["magic ending at byte 129", { offset: 100, magic: bytes(29), mask: bytes(29, 0xff) }],
    ["magic of 129 bytes", { offset: 0, magic: bytes(129), mask: undefined }],
    ["a mask shorter than the magic", { mask: bytes(19, 0xff) }],
    ["a mask longer than the magic", { mask: bytes(21, 0xff) }],
    ["an empty magic", { magic: new Uint8Array(), mask: undefined }],
    ["a negative offset", { offset: -1 }],
    ["a fractional offset", { offset: 1.5 }],
    ["':' in the name", { name: "qemu:aarch64" }],
    ["a newline in the name", { name: "qemu\naarch64" }],
    ["'/' in the name", { name: "qemu/aarch64" }],
    ["':' in the interpreter", { interpreter: "/usr/bin/qemu:aarch64" }],
    ["a newline in the interpreter", { interpreter: "/usr/bin/qemu-aarch64\n" }],
    ["NUL in the interpreter", { interpreter: "/usr/bin/qemu\0" }],
    ["':' in the flags", { flags: "F:C" }],
    ["a newline in the flags", { flags: "FC\n" }],
    ["unknown flags", { flags: "FZ" }],
    ["a relative interpreter", { interpreter: "usr/bin/qemu-aarch64-static" }],
    ["an interpreter without a path", { interpreter: "qemu-aarch64-static" }],
    ["an empty name", { name: "" }],
    ["the name register", { name: "register" }],
    ["the name status", { name: "status" }],
    ["the name .", { name: "." }],
    ["the name ..", { name: ".." }],
    ["a register string of 1921 characters", { name: "n".repeat(1921 - renderRegister(QEMU_AARCH64).length + 12) }],
  ])("rejects %s with QUS_INVALID_REGISTRATION naming the entry", (_, change) => {
    const registration = { ...QEMU_AARCH64, ...change };
    const error = qusErrorOf(() => validateRegistration(registration));
    expect(error.code).toBe("QUS_INVALID_REGISTRATION");
    expect(error.message).toContain(`binfmt_misc entry ${JSON.stringify(registration.name)}`);
    expect(error.hint).toBeTruthy();
    expect(() => renderRegister(registration)).toThrow(QusError);
  });

  it.each<[string, Partial<Registration>]>([
    ["an interpreter of 127 characters", { interpreter: interpreterOf(127) }],
    ["magic ending at byte 128", { offset: 100, magic: bytes(28), mask: bytes(28, 0xff) }],
    ["no mask", { mask: undefined }],
    ["no flags", { flags: "" }],
    [
      "a register string of exactly 1920 characters",
      { name: "n".repeat(1920 - renderRegister(QEMU_AARCH64).length + 12) },
    ],
  ])("accepts %s", (_, change) => {
    const registration = { ...QEMU_AARCH64, ...change };
    expect(() => validateRegistration(registration)).not.toThrow();
    expect(renderRegister(registration).length).toBeLessThanOrEqual(LIMITS.registerString);
  });

  it("the register string limit cases are as long as they claim", () => {
    // "qemu-aarch64" is 12 characters; the cases above swap it for a longer name.
    const base = renderRegister(QEMU_AARCH64).length;
    expect(renderRegister({ ...QEMU_AARCH64, name: "n".repeat(1920 - base + 12) })).toHaveLength(1920);
  });
});

describe("escaping", () => {
  it("decodeEscaped(encodeEscaped(bytes)) gives back the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const encoded = encodeEscaped(bytes);
        expect(encoded).toMatch(/^(\\x[0-9a-f]{2})*$/);
        expect([...decodeEscaped(encoded)]).toEqual([...bytes]);
      }),
    );
  });

  it("decodes literal characters, upper-case hex and escaped backslashes", () => {
    expect([...decodeEscaped("\\x7fELF\\xFF\\\\")]).toEqual([0x7f, 0x45, 0x4c, 0x46, 0xff, 0x5c]);
  });
});

describe("flags", () => {
  it.each([
    ["fc", "CF"],
    ["FC", "CF"],
    ["F", "F"],
    ["pocf", "POCF"],
    ["fcop", "POCF"],
    [" FC ", "CF"],
    ["FF", "F"],
    ["", ""],
  ])("parseFlags(%j) → %j, in the kernel's POCF order", (input, expected) => {
    expect(parseFlags(input)).toBe(expected);
  });

  it.each(["Z", "FCZ", "F C", "1"])("parseFlags(%j) throws QUS_INVALID_FLAGS naming the input", (input) => {
    const error = qusErrorOf(() => parseFlags(input));
    expect(error.code).toBe("QUS_INVALID_FLAGS");
    expect(error.message).toContain(JSON.stringify(input));
    expect(error.hint).toContain("POCF");
  });

  it("C implies O; unknown letters have no effect", () => {
    expect(effectiveFlags("CF")).toBe("OCF");
    expect(effectiveFlags("fc")).toBe("OCF");
    expect(effectiveFlags("OCFX")).toBe("OCF");
    expect(effectiveFlags("")).toBe("");
  });

  it.each([
    ["OCF", "FC", true],
    ["CF", "FC", true],
    ["POCF", "FCP", true],
    ["OF", "FC", false],
    ["OCF", "F", false],
    ["", "F", false],
    ["", "", true],
  ] as const)("sameFlags(%j, %j) is %s", (a, b, same) => {
    expect(sameFlags(a, b)).toBe(same);
    expect(sameFlags(b, a)).toBe(same);
  });
});
