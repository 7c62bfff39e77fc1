import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuOfMachine, hostCpu, nativeCandidates, usuallyNative } from "./architectures.js";
import { decodeEscaped, fromHex, toHex } from "./binfmt/escape.js";
import { matchesHeader, patternsOverlap } from "./binfmt/match.js";
import { targetPattern } from "./plan.js";
import { requireTarget, TARGETS, type Target } from "./targets.js";

const FIXTURES = new URL("../test-fixtures/", import.meta.url);

/** The target for a cpu name that must exist. */
const target = (cpu: string): Target => requireTarget(cpu);

describe("magic and mask", () => {
  it.each(TARGETS.map((t) => [t.cpu, t] as const))("%s: same length, at most 128 bytes", (_, t) => {
    const magic = decodeEscaped(t.magic);
    const mask = decodeEscaped(t.mask);
    expect(magic.length).toBeGreaterThanOrEqual(20);
    expect(mask.length).toBe(magic.length);
    expect(magic.length).toBeLessThanOrEqual(128);
    // Every magic starts with the ELF signature, matched in full.
    expect(toHex(magic.subarray(0, 4))).toBe("7f454c46");
    expect(toHex(mask.subarray(0, 4))).toBe("ffffffff");
  });
});

/** Debian's registration of a cpu (`:name:M::magic:mask:interpreter:flags`), decoded; undefined without a file. */
function debianEntry(cpu: string): { magic: Uint8Array; mask: Uint8Array } | undefined {
  const file = new URL(`debian-binfmt.d/qemu-${cpu}.conf`, FIXTURES);
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith(":"));
  const fields = line?.split(":") ?? [];
  expect(fields.slice(1, 4)).toEqual([`qemu-${cpu}`, "M", ""]);
  return { magic: decodeEscaped(fields[4] ?? ""), mask: decodeEscaped(fields[5] ?? "") };
}

describe("the table against Debian's qemu-user-static (QEMU 7.2) registrations", () => {
  // Our table follows QEMU 10's scripts/qemu-binfmt-conf.sh. Against Debian 7.2, it differs only in header bytes
  // that say nothing about the architecture, and there our mask is looser (it ignores the byte), so every binary
  // Debian's entry claims, ours claims too:
  // - byte 7, EI_OSABI: Debian masks it with 0xfc (OS ABI 0..3) for ppc64, ppc64le, s390x and sparc64; QEMU 10 with 0x00.
  // - byte 8, EI_ABIVERSION: Debian masks it with 0xfe for the mips family; QEMU 10 with 0x00.
  // [position, our mask byte, Debian's mask byte]
  const MASK_DIFFERENCES: Record<string, [number, number, number][]> = {
    aarch64: [],
    arm: [],
    armeb: [],
    riscv64: [],
    loongarch64: [],
    ppc64le: [[7, 0x00, 0xfc]],
    ppc64: [[7, 0x00, 0xfc]],
    s390x: [[7, 0x00, 0xfc]],
    sparc64: [[7, 0x00, 0xfc]],
    mips64el: [[8, 0x00, 0xfe]],
    mips64: [[8, 0x00, 0xfe]],
  };

  it("has a Debian file for every target but i386 and x86_64 (Debian's amd64 build skips its own family)", () => {
    const withFile = TARGETS.filter((t) => debianEntry(t.cpu) !== undefined).map((t) => t.cpu);
    expect(withFile.sort()).toEqual([...Object.keys(MASK_DIFFERENCES), "mips", "mipsel"].sort());
  });

  it.each(Object.entries(MASK_DIFFERENCES))("%s: same magic; masks differ only as listed", (cpu, expected) => {
    const ours = targetPattern(target(cpu));
    const debian = debianEntry(cpu);
    expect(debian).toBeDefined();
    if (!debian) return;
    expect(toHex(ours.magic)).toBe(toHex(debian.magic));
    const ourMask = ours.mask ?? new Uint8Array();
    expect(ourMask.length).toBe(debian.mask.length);
    const differences = [...ourMask].flatMap((byte, i) =>
      byte === debian.mask[i] ? [] : [[i, byte, debian.mask[i] ?? -1] as [number, number, number]],
    );
    expect(differences).toEqual(expected);
  });

  // mips and mipsel: both tell o32 from n32 by EF_MIPS_ABI2 (0x20 in the low byte of e_flags, bytes 36..39) being
  // clear. Debian 7.2's entries are older than QEMU 10's: they mask EI_ABIVERSION with 0xfe, do not check e_version
  // (bytes 20..23), and Debian's little-endian entry stops at byte 36, the low byte of e_flags (37 bytes, not 40).
  it.each([
    ["mips", 40, 39, "00000001"],
    ["mipsel", 37, 36, "01000000"],
  ] as const)("%s: Debian's older o32 entry, %i bytes, ABI2 bit at byte %i", (cpu, debianLength, abi2Byte, version) => {
    const ours = targetPattern(target(cpu));
    const ourMask = ours.mask ?? new Uint8Array();
    const debian = debianEntry(cpu);
    expect(debian).toBeDefined();
    if (!debian) return;
    expect(debian.magic.length).toBe(debianLength);
    expect(ours.magic.length).toBe(40);
    // The ELF identification and e_machine agree but for the EI_ABIVERSION mask.
    expect(toHex(ours.magic.subarray(0, 20))).toBe(toHex(debian.magic.subarray(0, 20)));
    expect(ourMask[8]).toBe(0x00);
    expect(debian.mask[8]).toBe(0xfe);
    expect(toHex(ourMask.subarray(9, 20))).toBe(toHex(debian.mask.subarray(9, 20)));
    // e_version == 1: checked by ours only.
    expect(toHex(ours.magic.subarray(20, 24))).toBe(version);
    expect(toHex(ourMask.subarray(20, 24))).toBe("ffffffff");
    expect(toHex(debian.mask.subarray(20, 24))).toBe("00000000");
    // EF_MIPS_ABI2 must be clear in both; nothing else of bytes 24.. counts.
    for (const mask of [ourMask, debian.mask]) {
      const counted = [...mask.subarray(24)].flatMap((byte, i) => (byte === 0 ? [] : [[24 + i, byte]]));
      expect(counted).toEqual([[abi2Byte, 0x20]]);
    }
    expect((ours.magic[abi2Byte] ?? -1) & 0x20).toBe(0);
    expect((debian.magic[abi2Byte] ?? -1) & 0x20).toBe(0);
  });
});

describe("the table against QEMU 10's script where Debian has no byte-for-byte equivalent", () => {
  // From QEMU's scripts/qemu-binfmt-conf.sh (QEMU 10), as recorded in shared/reference/qemu-targets.md. The other
  // targets are pinned byte for byte by the Debian comparison above.
  const QEMU10: Record<string, [string, string]> = {
    i386: [
      "\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x03\\x00",
      "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff",
    ],
    x86_64: [
      "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x3e\\x00",
      "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff",
    ],
    mips: [
      "\\x7fELF\\x01\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x08\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00",
      "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x20",
    ],
    mipsel: [
      "\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x08\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00",
      "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x20\\x00\\x00\\x00",
    ],
  };

  it.each(Object.entries(QEMU10))("%s: QEMU 10's magic and mask", (cpu, [magic, mask]) => {
    const ours = targetPattern(target(cpu));
    expect(toHex(ours.magic)).toBe(toHex(decodeEscaped(magic)));
    expect(toHex(ours.mask ?? new Uint8Array())).toBe(toHex(decodeEscaped(mask)));
  });
});

/** The first bytes of Debian's busybox-static for an architecture, from a hex dump with # comments. */
function elfHeader(file: string): Uint8Array {
  const text = readFileSync(new URL(`elf-headers/${file}`, FIXTURES), "utf8");
  return fromHex(
    text
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .join(""),
  );
}

describe("real binaries: Debian's busybox-static", () => {
  const files = readdirSync(new URL("elf-headers/", FIXTURES)).filter((file) => file.endsWith(".txt"));
  const arches = files.map((file) => file.replace(/\.txt$/, ""));

  /** armel binaries run on the arm target too (its debianArch is armhf). */
  const targetOf = (arch: string) => (arch === "armel" ? target("arm") : TARGETS.find((t) => t.debianArch === arch));

  it("has headers for the architectures Debian builds busybox-static for", () => {
    expect(arches.sort()).toEqual([
      "amd64",
      "arm64",
      "armel",
      "armhf",
      "i386",
      "mips64el",
      "ppc64el",
      "riscv64",
      "s390x",
    ]);
  });

  it.each(arches)("%s is claimed by its own target and no other", (arch) => {
    const header = elfHeader(`${arch}.txt`);
    expect(header.length).toBe(64);
    const claimedBy = TARGETS.filter((t) => matchesHeader(targetPattern(t), header)).map((t) => t.cpu);
    const own = targetOf(arch);
    expect(own).toBeDefined();
    expect(claimedBy).toEqual([own?.cpu]);
  });

  it("maps the Debian architectures to the expected targets", () => {
    expect(Object.fromEntries(arches.map((arch) => [arch, targetOf(arch)?.cpu]))).toEqual({
      amd64: "x86_64",
      arm64: "aarch64",
      armel: "arm",
      armhf: "arm",
      i386: "i386",
      mips64el: "mips64el",
      ppc64el: "ppc64le",
      riscv64: "riscv64",
      s390x: "s390x",
    });
  });
});

describe("overlaps", () => {
  it("no two targets claim the same binary", () => {
    const pairs: string[] = [];
    for (const [i, a] of TARGETS.entries()) {
      for (const b of TARGETS.slice(i + 1)) {
        if (patternsOverlap(targetPattern(a), targetPattern(b))) pairs.push(`${a.cpu}/${b.cpu}`);
      }
    }
    expect(pairs).toEqual([]);
  });

  it("every target overlaps itself (so the check above can find overlaps)", () => {
    for (const t of TARGETS) expect(patternsOverlap(targetPattern(t), targetPattern(t))).toBe(true);
  });
});

describe("names", () => {
  it("cpus are unique and every target has a canonical linux/ platform", () => {
    expect(new Set(TARGETS.map((t) => t.cpu)).size).toBe(TARGETS.length);
    expect(TARGETS).toHaveLength(15);
    for (const t of TARGETS) expect(t.platforms[0]).toMatch(/^linux\//);
  });
});

describe("architecture facts in the table", () => {
  it("every machine name and Node arch maps back to its own target; compat modes name real hosts", () => {
    for (const candidate of TARGETS) {
      for (const machine of candidate.machines ?? []) expect(cpuOfMachine(machine)).toBe(candidate.cpu);
      if (candidate.nodeArch) expect(hostCpu(candidate.nodeArch)).toBe(candidate.cpu);
      for (const mode of candidate.compatOf ?? []) expect(nativeCandidates(mode.host)).toContain(candidate.cpu);
    }
    expect(nativeCandidates("x86_64")).toEqual(["i386"]);
    expect(usuallyNative("x86_64", "i386")).toBe(true);
    expect(usuallyNative("aarch64", "arm")).toBe(false);
  });

  it("requireTarget names an unknown cpu with a stable code", () => {
    expect(() => requireTarget("pdp11")).toThrow(/no QEMU target named "pdp11"/);
  });
});
