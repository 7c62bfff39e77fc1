import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuOfMachine, hostCpu, nativeCandidates, usuallyNative } from "./architectures.js";
import { decodeEscaped, fromHex, toHex } from "./binfmt/escape.js";
import { type MagicPattern, matchesHeader, patternsOverlap } from "./binfmt/match.js";
import { targetPattern } from "./plan.js";
import { entryName, interpreterBase, requireTarget, TARGETS, type Target } from "./targets.js";

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
  // that say nothing about the architecture, and there our mask is looser (it ignores the byte or its low bit), so
  // every binary Debian's entry claims, ours claims too:
  // - byte 7, EI_OSABI: Debian masks it with 0xfc (OS ABI 0..3) for ppc, ppc64, ppc64le, s390x, sh4, sh4eb, sparc,
  //   sparc32plus and sparc64; QEMU 10 with 0x00.
  // - byte 8, EI_ABIVERSION: Debian masks it with 0xfe for the mips family; QEMU 10 with 0x00.
  // - bytes 5 and 6, EI_DATA and EI_VERSION: QEMU 10 ignores their low bit for alpha (as for x86), byte 6 for m68k.
  // [position, our mask byte, Debian's mask byte]
  const OSABI: [number, number, number][] = [[7, 0x00, 0xfc]];
  const MASK_DIFFERENCES: Record<string, [number, number, number][]> = {
    aarch64: [],
    arm: [],
    armeb: [],
    riscv64: [],
    riscv32: [],
    loongarch64: [],
    hexagon: [],
    hppa: [],
    xtensa: [],
    xtensaeb: [],
    // QEMU 10's own microblaze magic has e_type little-endian (bytes 16..17 = 02 00): it matches no big-endian
    // program. The table keeps Debian's big-endian e_type, so it equals Debian's entry.
    microblaze: [],
    ppc64le: OSABI,
    ppc64: OSABI,
    ppc: OSABI,
    s390x: OSABI,
    sparc64: OSABI,
    sparc: OSABI,
    sparc32plus: OSABI,
    sh4: OSABI,
    sh4eb: OSABI,
    mips64el: [[8, 0x00, 0xfe]],
    mips64: [[8, 0x00, 0xfe]],
    alpha: [
      [5, 0xfe, 0xff],
      [6, 0xfe, 0xff],
    ],
    m68k: [[6, 0xfe, 0xff]],
  };
  const MIPS32 = ["mips", "mipsel", "mipsn32", "mipsn32el"];

  it("has a Debian file for every target but x86 (Debian's amd64 build skips its own family) and four newer ones", () => {
    const withFile = TARGETS.filter((t) => debianEntry(t.cpu) !== undefined).map((t) => t.cpu);
    expect(withFile.sort()).toEqual([...Object.keys(MASK_DIFFERENCES), ...MIPS32].sort());
    const without = TARGETS.filter((t) => debianEntry(t.cpu) === undefined).map((t) => t.cpu);
    expect(without.sort()).toEqual(["aarch64_be", "i386", "i486", "microblazeel", "or1k", "x86_64"]);
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
    // Looser: every bit Debian leaves out, ours leaves out too.
    for (const [i, byte] of ourMask.entries()) expect(byte & ~(debian.mask[i] ?? 0)).toBe(0);
  });

  // The 32-bit MIPS family: all four tell o32 from n32 by EF_MIPS_ABI2 (0x20 in the low byte of e_flags, bytes
  // 36..39): clear for mips/mipsel, set for mipsn32/mipsn32el. Debian 7.2's entries are older than QEMU 10's: they
  // mask EI_ABIVERSION with 0xfe, do not check e_version (bytes 20..23), and Debian's little-endian entries stop at
  // byte 36, the low byte of e_flags (37 bytes, not 40).
  it.each([
    ["mips", 40, 39, "00000001", 0x00],
    ["mipsel", 37, 36, "01000000", 0x00],
    ["mipsn32", 40, 39, "00000001", 0x20],
    ["mipsn32el", 37, 36, "01000000", 0x20],
  ] as const)(
    "%s: Debian's older entry, %i bytes, ABI2 bit at byte %i",
    (cpu, debianLength, abi2Byte, version, abi2) => {
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
      // EF_MIPS_ABI2 is what counts in both; nothing else of bytes 24..
      for (const mask of [ourMask, debian.mask]) {
        const counted = [...mask.subarray(24)].flatMap((byte, i) => (byte === 0 ? [] : [[24 + i, byte]]));
        expect(counted).toEqual([[abi2Byte, 0x20]]);
      }
      expect((ours.magic[abi2Byte] ?? -1) & 0x20).toBe(abi2);
      expect((debian.magic[abi2Byte] ?? -1) & 0x20).toBe(abi2);
    },
  );
});

/** QEMU 10's script's targets, in its order: cpu, magic and mask as written there (`\xNN` escapes, `ELF` as text). */
function qemu10(): [string, string, string][] {
  return readFileSync(new URL("qemu-binfmt-conf.txt", FIXTURES), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.split(" ") as [string, string, string]);
}

describe("the table against QEMU 10's scripts/qemu-binfmt-conf.sh", () => {
  it("has every target of QEMU's script, and only those", () => {
    const cpus = qemu10().map(([cpu]) => cpu);
    expect(cpus).toHaveLength(34);
    expect(TARGETS.map((t) => t.cpu).sort()).toEqual([...cpus].sort());
  });

  it.each(qemu10().filter(([cpu]) => cpu !== "microblaze"))("%s: QEMU 10's magic and mask", (cpu, magic, mask) => {
    const ours = targetPattern(target(cpu));
    expect(toHex(ours.magic)).toBe(toHex(decodeEscaped(magic)));
    expect(toHex(ours.mask ?? new Uint8Array())).toBe(toHex(decodeEscaped(mask)));
  });

  it("microblaze: QEMU 10's magic but for e_type, which the table writes big-endian (QEMU's matches no program)", () => {
    const [, magic, mask] = qemu10().find(([cpu]) => cpu === "microblaze") ?? ["", "", ""];
    const theirs = decodeEscaped(magic);
    const ours = targetPattern(target("microblaze"));
    expect(toHex(theirs.subarray(16, 18))).toBe("0200");
    expect(toHex(ours.magic.subarray(16, 18))).toBe("0002");
    expect(toHex(ours.magic.subarray(0, 16))).toBe(toHex(theirs.subarray(0, 16)));
    expect(toHex(ours.magic.subarray(18))).toBe(toHex(theirs.subarray(18)));
    // The mask moves with it: the low bit of e_type (ET_EXEC or ET_DYN) is byte 17 in big-endian.
    expect(toHex(decodeEscaped(mask).subarray(16, 18))).toBe("feff");
    expect(toHex((ours.mask ?? new Uint8Array()).subarray(16, 18))).toBe("fffe");
    // A big-endian ELF header (ET_EXEC, EM_MICROBLAZE_OLD) matches ours and not QEMU's.
    const header = Uint8Array.from([...ours.magic]);
    expect(matchesHeader(ours, header)).toBe(true);
    expect(matchesHeader({ offset: 0, magic: theirs, mask: decodeEscaped(mask) }, header)).toBe(false);
  });

  it("names the emulator QEMU's script registers for each target", () => {
    const interpreters = Object.fromEntries(
      TARGETS.filter((t) => interpreterBase(t) !== `qemu-${t.cpu}`).map((t) => [t.cpu, interpreterBase(t)]),
    );
    expect(interpreters).toEqual({ i486: "qemu-i386" });
    expect(entryName(target("i486"))).toBe("qemu-i486");
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

// Debian's main archive has busybox-static for these; Debian Ports (alpha, hppa, m68k, powerpc, ppc64, sh4, sparc64)
// is not reachable from the machines these fixtures were recorded on, so those targets are checked against QEMU's
// strings and their probes only.
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
      "loong64",
      "mips64el",
      "mipsel",
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
      loong64: "loongarch64",
      mips64el: "mips64el",
      mipsel: "mipsel",
      ppc64el: "ppc64le",
      riscv64: "riscv64",
      s390x: "s390x",
    });
  });
});

describe("overlaps", () => {
  /** Pairs of named patterns that can claim one header, `a/b`. */
  function overlappingPairs(patterns: readonly (readonly [string, MagicPattern])[]): string[] {
    const pairs: string[] = [];
    for (const [i, [a, pa]] of patterns.entries()) {
      for (const [b, pb] of patterns.slice(i + 1)) if (patternsOverlap(pa, pb)) pairs.push(`${a}/${b}`);
    }
    return pairs;
  }

  // Variants that share a family tell each other apart: i386/i486 and sparc/sparc32plus by e_machine, mips/mipsn32
  // and mipsel/mipsn32el by EF_MIPS_ABI2, arm/aarch64 and ppc/ppc64 by ELF class, sh4/sh4eb by byte order.
  it("no two targets claim the same binary, as no two of QEMU 10's entries do", () => {
    expect(overlappingPairs(TARGETS.map((t) => [t.cpu, targetPattern(t)] as const))).toEqual([]);
    const theirs = qemu10().map(
      ([cpu, magic, mask]) => [cpu, { offset: 0, magic: decodeEscaped(magic), mask: decodeEscaped(mask) }] as const,
    );
    expect(overlappingPairs(theirs)).toEqual([]);
  });

  it("the variants would overlap without the bytes that tell them apart (so the check above can find overlaps)", () => {
    const loosened = (cpu: string, byte: number): MagicPattern => {
      const pattern = targetPattern(target(cpu));
      const mask = Uint8Array.from(pattern.mask ?? []);
      mask[byte] = 0;
      return { ...pattern, mask };
    };
    expect(patternsOverlap(loosened("i486", 18), targetPattern(target("i386")))).toBe(true);
    expect(patternsOverlap(loosened("sparc32plus", 19), targetPattern(target("sparc")))).toBe(true);
    expect(patternsOverlap(loosened("mipsn32", 39), targetPattern(target("mips")))).toBe(true);
    expect(patternsOverlap(loosened("mipsn32el", 36), targetPattern(target("mipsel")))).toBe(true);
  });

  it("every target overlaps itself (so the check above can find overlaps)", () => {
    for (const t of TARGETS) expect(patternsOverlap(targetPattern(t), targetPattern(t))).toBe(true);
  });
});

describe("names", () => {
  it("cpus are unique and every target has a canonical linux/ platform", () => {
    expect(new Set(TARGETS.map((t) => t.cpu)).size).toBe(TARGETS.length);
    expect(TARGETS).toHaveLength(34);
    for (const t of TARGETS) expect(t.platforms[0]).toMatch(/^linux\//);
  });

  it("no name a user writes (cpu, platform, alias) belongs to two targets", () => {
    const owners = new Map<string, Set<string>>();
    for (const t of TARGETS) {
      for (const name of [t.cpu, ...t.platforms, ...t.aliases].map((n) => n.toLowerCase().replace(/^linux\//, ""))) {
        owners.set(name, (owners.get(name) ?? new Set()).add(t.cpu));
      }
    }
    expect([...owners].filter(([, cpus]) => cpus.size > 1).map(([name]) => name)).toEqual([]);
  });
});

describe("architecture facts in the table", () => {
  it("every machine name and Node arch maps back to its own target; compat modes name real hosts", () => {
    for (const candidate of TARGETS) {
      for (const machine of candidate.machines ?? []) expect(cpuOfMachine(machine)).toBe(candidate.cpu);
      if (candidate.nodeArch) expect(hostCpu(candidate.nodeArch)).toBe(candidate.cpu);
      for (const mode of candidate.compatOf ?? []) expect(nativeCandidates(mode.host)).toContain(candidate.cpu);
    }
    expect(nativeCandidates("x86_64")).toEqual(["i386", "i486"]);
    expect(usuallyNative("x86_64", "i386")).toBe(true);
    expect(usuallyNative("x86_64", "i486")).toBe(true);
    expect(nativeCandidates("i386")).toEqual(["i486"]);
    expect(usuallyNative("aarch64", "arm")).toBe(false);
  });

  it("requireTarget names an unknown cpu with a stable code", () => {
    expect(() => requireTarget("pdp11")).toThrow(/no QEMU target named "pdp11"/);
  });
});
