import { describe, expect, it } from "vitest";
import { elfFile } from "../test-support.js";
import { readAtBytes, readElf } from "./elf.js";

const read = (bytes: Uint8Array) => readElf("prog", readAtBytes(bytes));
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return [(error as { code?: string }).code, (error as Error).message];
  }
  return undefined;
};

describe("readElf", () => {
  it("reads a 64-bit little-endian dynamic program and its loader", () => {
    const info = read(
      elfFile({ bits: 64, little: true, machine: 183, type: 3, interpreter: "/lib/ld-linux-aarch64.so.1" }),
    );
    expect(info).toMatchObject({
      bits: 64,
      endianness: "little",
      machine: 183,
      machineName: "AArch64",
      type: "position-independent",
      program: true,
      linkage: "dynamic",
      interpreter: "/lib/ld-linux-aarch64.so.1",
    });
  });

  it("reads a 64-bit big-endian static program", () => {
    const info = read(elfFile({ bits: 64, little: false, machine: 22 }));
    expect(info).toMatchObject({
      bits: 64,
      endianness: "big",
      machineName: "S/390",
      linkage: "static",
      type: "executable",
    });
    expect(info.interpreter).toBeUndefined();
  });

  it("reads a 32-bit big-endian dynamic program", () => {
    const info = read(elfFile({ bits: 32, little: false, machine: 8, interpreter: "/lib/ld.so.1" }));
    expect(info).toMatchObject({ bits: 32, endianness: "big", machineName: "MIPS", interpreter: "/lib/ld.so.1" });
  });

  it("tells MIPS n32 from o32 and n64 by the flags and the class", () => {
    const n32 = read(elfFile({ bits: 32, little: true, machine: 8, flags: 0x80000020 }));
    const o32 = read(elfFile({ bits: 32, little: true, machine: 8, flags: 0x70001000 }));
    const n64 = read(elfFile({ bits: 64, little: true, machine: 8, flags: 0x80000000 | 0x400 }));
    expect(n32.abi).toEqual(["n32", "mips64r2"]);
    expect(o32.abi).toEqual(["o32", "mips32r2"]);
    expect(n64.abi).toEqual(["n64", "mips64r2", "NaN2008"]);
  });

  it("tells ARM hard-float from soft-float EABI5", () => {
    expect(read(elfFile({ bits: 32, little: true, machine: 40, flags: 0x05000400 })).abi).toEqual([
      "EABI5",
      "hard-float",
    ]);
    expect(read(elfFile({ bits: 32, little: true, machine: 40, flags: 0x05000200 })).abi).toEqual([
      "EABI5",
      "soft-float",
    ]);
  });

  it("names the float ABI of RISC-V and the ELF version of PowerPC64", () => {
    expect(read(elfFile({ bits: 64, little: true, machine: 243, flags: 0x5 })).abi).toEqual(["double-float", "RVC"]);
    expect(read(elfFile({ bits: 64, little: true, machine: 21, flags: 2 })).abi).toEqual(["ELFv2"]);
  });

  it("names a machine it does not know by number and a relocatable file as not a program", () => {
    const info = read(elfFile({ bits: 32, little: true, machine: 9999, type: 1 }));
    expect(info).toMatchObject({ machineName: "machine 9999", type: "relocatable", program: false });
  });

  it("refuses a file that is not ELF, naming it", () => {
    expect(codeOf(() => read(Buffer.from("#!/bin/sh\necho hi\n")))).toEqual([
      "QUS_NOT_ELF",
      "prog: not an ELF file (a script: it starts with #!)",
    ]);
    expect(codeOf(() => read(new Uint8Array()))?.[0]).toBe("QUS_NOT_ELF");
  });

  it("refuses a damaged ident (bad class)", () => {
    const bytes = elfFile({ bits: 64, little: true, machine: 62 });
    bytes[4] = 7;
    expect(codeOf(() => read(bytes))?.[0]).toBe("QUS_NOT_ELF");
  });

  it.each([
    ["inside the ELF header", 40, "ELF header"],
    ["inside the program headers", 64 + 60, "program headers"],
    ["inside the loader's name", 64 + 56 * 2 + 5, "loader's name"],
  ])("refuses a file truncated %s", (_, length, where) => {
    const whole = elfFile({ bits: 64, little: true, machine: 183, interpreter: "/lib/ld-linux-aarch64.so.1" });
    const [code, message] = codeOf(() => read(whole.subarray(0, length))) ?? [];
    expect(code).toBe("QUS_ELF_TRUNCATED");
    expect(message).toContain("prog: truncated ELF file");
    expect(message).toContain(where);
  });
});
