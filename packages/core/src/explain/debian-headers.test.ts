import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromHex } from "../binfmt/escape.js";
import { readElf } from "./elf.js";
import { targetOfHeader } from "./judge.js";

const FIXTURES = new URL("../../test-fixtures/elf-headers/", import.meta.url);

/** The first 64 bytes of Debian's busybox-static for an architecture (packages/core/test-fixtures/elf-headers). */
function header(arch: string): Uint8Array {
  const text = readFileSync(new URL(`${arch}.txt`, FIXTURES), "utf8");
  return fromHex(
    text
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .join("")
      .replace(/\s+/g, ""),
  );
}

// Only the ELF header is recorded: the program headers read as empty (a static program).
const facts = (arch: string) => {
  const bytes = header(arch);
  const elf = readElf(arch, (offset, length) => (offset === 0 ? bytes.subarray(0, length) : new Uint8Array(length)));
  return [elf.machineName, elf.bits, elf.endianness, elf.abi.join(" "), targetOfHeader(bytes)?.cpu];
};

describe("Debian's busybox-static: architecture and ABI from the header alone", () => {
  it.each([
    ["amd64", "x86-64", 64, "little", "", "x86_64"],
    ["i386", "x86 (i386)", 32, "little", "", "i386"],
    ["arm64", "AArch64", 64, "little", "", "aarch64"],
    ["armhf", "ARM", 32, "little", "EABI5 hard-float", "arm"],
    ["armel", "ARM", 32, "little", "EABI5 soft-float", "arm"],
    ["ppc64el", "PowerPC64", 64, "little", "ELFv2", "ppc64le"],
    ["s390x", "S/390", 64, "big", "", "s390x"],
    ["mips64el", "MIPS", 64, "little", "n64 mips64r2", "mips64el"],
    ["mipsel", "MIPS", 32, "little", "o32 mips32r2", "mipsel"],
    ["riscv64", "RISC-V", 64, "little", "double-float RVC", "riscv64"],
    ["loong64", "LoongArch", 64, "little", "double-float", "loongarch64"],
  ])("%s: %s, %i-bit %s-endian, %s → qemu-%s", (arch, ...expected) => {
    expect(facts(arch)).toEqual(expected);
  });
});
