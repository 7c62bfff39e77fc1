import { describe, expect, it } from "vitest";
import type { BinfmtEntry } from "../binfmt/entry.js";
import type { InterpreterFile, ProbeResult } from "../drivers/types.js";
import type { QemuCpu } from "../targets.js";
import { type ElfFixture, elfFile, qemuEntry } from "../test-support.js";
import { readAtBytes, readElf } from "./elf.js";
import { judgeFile, type KernelView, type LoaderState, type Place, targetOfHeader } from "./judge.js";

const AARCH64 = { bits: 64, little: true, machine: 183 } as const;
const AARCH64_DYNAMIC = { ...AARCH64, type: 3, interpreter: "/lib/ld-linux-aarch64.so.1" } as const;

function kernel(fields: {
  entries?: BinfmtEntry[];
  probes?: [QemuCpu, ProbeResult][];
  native?: [QemuCpu, string][];
  files?: [string, InterpreterFile][];
  binfmtEnabled?: boolean;
}): KernelView {
  return {
    entries: fields.entries ?? [],
    binfmtEnabled: fields.binfmtEnabled ?? true,
    native: new Map(fields.native ?? [["x86_64", "this machine's own architecture"]]),
    probes: new Map(fields.probes ?? []),
    interpreterFiles: new Map(fields.files ?? []),
  };
}

function host(loaders: Record<string, LoaderState> = {}): Place {
  return {
    kind: "host",
    root: { loader: (path) => loaders[path] ?? "missing", exists: (path) => path in loaders },
  };
}

function judge(fixture: ElfFixture, view: KernelView, place: Place = host()) {
  const bytes = elfFile(fixture);
  return judgeFile("prog", readElf("prog", readAtBytes(bytes)), bytes.subarray(0, 256), view, place);
}

describe("judgeFile", () => {
  it("finds the QEMU target of a header by its magic and mask", () => {
    expect(targetOfHeader(elfFile(AARCH64))?.cpu).toBe("aarch64");
    expect(targetOfHeader(elfFile({ bits: 64, little: false, machine: 22 }))?.cpu).toBe("s390x");
    expect(targetOfHeader(elfFile({ bits: 32, little: true, machine: 9999 }))).toBeUndefined();
    // MIPS o32 and n32 share a machine and a class: the ABI2 flag tells them apart, as QEMU's masks do.
    expect(targetOfHeader(elfFile({ bits: 32, little: false, machine: 8, flags: 0x70001000 }))?.cpu).toBe("mips");
    expect(targetOfHeader(elfFile({ bits: 32, little: false, machine: 8, flags: 0x80000020 }))?.cpu).toBe("mipsn32");
    expect(targetOfHeader(elfFile({ bits: 32, little: true, machine: 8, flags: 0x80000020 }))?.cpu).toBe("mipsn32el");
  });

  it("no entry claims it: exec format error everywhere, fixed by registering its platform", () => {
    const result = judge(AARCH64, kernel({}));
    expect(result.handler.kind).toBe("none");
    expect(result.platform).toBe("linux/arm64");
    expect(result.here).toEqual({
      runs: "no",
      reason:
        "exec format error: no binfmt_misc entry claims linux/arm64 programs, and the kernel does not run them itself",
      fix: "qus ensure --platforms linux/arm64",
    });
    expect(result.container.runs).toBe("no");
    expect(result.ok).toBe(false);
  });

  it("QEMU's entry with F and a passing probe: a static program runs here, in a chroot and in a container", () => {
    const result = judge(
      AARCH64,
      kernel({ entries: [qemuEntry("aarch64")], probes: [["aarch64", { ok: true, chrooted: true }]] }),
    );
    expect(result.handler).toMatchObject({
      kind: "binfmt",
      entries: [{ name: "qemu-aarch64", flags: "OCF" }],
      probe: { ok: true },
    });
    expect([result.here?.runs, result.chroot?.runs, result.container.runs]).toEqual(["yes", "yes", "yes"]);
    expect(result.ok).toBe(true);
  });

  it("an entry without F: runs here, not in a chroot or container (ENOENT), fixed with --replace", () => {
    const entry = qemuEntry("aarch64", { flags: "" });
    const result = judge(
      AARCH64,
      kernel({
        entries: [entry],
        probes: [["aarch64", { ok: false, failure: "interpreter-unreachable", chrooted: true }]],
        files: [[entry.interpreter, "static"]],
      }),
    );
    expect(result.here?.runs).toBe("yes");
    expect(result.container).toEqual({
      runs: "no",
      reason:
        "no such file or directory: qemu-aarch64 has no F flag, so the kernel looks for its interpreter /usr/bin/qemu-aarch64-static inside the chroot or container",
      fix: "qus ensure --replace --platforms linux/arm64",
    });
  });

  it("a dynamic program whose loader is missing here: no such file or directory, and it needs its libraries", () => {
    const result = judge(
      AARCH64_DYNAMIC,
      kernel({ entries: [qemuEntry("aarch64")], probes: [["aarch64", { ok: true }]] }),
    );
    expect(result.here?.runs).toBe("no");
    expect(result.here?.reason).toBe(
      "no such file or directory: its loader /lib/ld-linux-aarch64.so.1 is not on this machine",
    );
    expect(result.here?.fix).toContain("this needs its libraries");
    expect(result.here?.fix).toContain("libc6:arm64");
    expect(result.chroot?.runs).toBe("depends");
  });

  it("a dynamic program whose loader here is another machine's", () => {
    const result = judge(
      AARCH64_DYNAMIC,
      kernel({ entries: [qemuEntry("aarch64")], probes: [["aarch64", { ok: true }]] }),
      host({ "/lib/ld-linux-aarch64.so.1": "foreign" }),
    );
    expect(result.here?.reason).toContain("is not a AArch64 (64-bit little-endian) program");
  });

  it("a failing probe gives the probe's reason and hint", () => {
    const result = judge(
      AARCH64,
      kernel({ entries: [qemuEntry("aarch64")], probes: [["aarch64", { ok: false, failure: "timeout" }]] }),
    );
    expect(result.here?.reason).toContain("timed out: the emulator hung");
    expect(result.here?.fix).toContain("qus ensure --replace --platforms linux/arm64");
  });

  it("two enabled entries claim it: both are named", () => {
    const other = { ...qemuEntry("aarch64"), name: "zz-aarch64" };
    const result = judge(
      AARCH64,
      kernel({ entries: [qemuEntry("aarch64"), other], probes: [["aarch64", { ok: true }]] }),
    );
    expect(result.handler.entries.map((entry) => entry.name)).toEqual(["qemu-aarch64", "zz-aarch64"]);
  });

  it("the machine's own programs run natively; binfmt_misc switched off claims nothing", () => {
    const native = judge({ bits: 64, little: true, machine: 62 }, kernel({}));
    expect(native.handler).toMatchObject({ kind: "native", native: "this machine's own architecture" });
    expect(native.here?.runs).toBe("yes");
    const off = judge(AARCH64, kernel({ entries: [qemuEntry("aarch64")], binfmtEnabled: false }));
    expect(off.handler.kind).toBe("none");
    expect(off.here?.fix).toBe("switch it on as root: echo 1 > /proc/sys/fs/binfmt_misc/status");
  });

  it("a machine qus has no target for, and a relocatable file", () => {
    expect(judge({ bits: 32, little: true, machine: 9999 }, kernel({})).here?.reason).toContain(
      "qus knows no QEMU target",
    );
    expect(judge({ ...AARCH64, type: 1 }, kernel({})).here?.reason).toBe(
      "exec format error: a relocatable ELF file is not a program",
    );
  });

  it("in an image: the loader is looked for inside it, and an entry without F works when its interpreter is there", () => {
    const image = (paths: Record<string, LoaderState>): Place => ({
      kind: "image",
      ref: "app:1",
      root: { loader: (path) => paths[path] ?? "missing", exists: (path) => path in paths },
    });
    const view = kernel({ entries: [qemuEntry("aarch64")], probes: [["aarch64", { ok: true }]] });
    const missing = judge(AARCH64_DYNAMIC, view, image({}));
    expect(missing.here).toBeUndefined();
    expect(missing.container.reason).toBe(
      "no such file or directory: its loader /lib/ld-linux-aarch64.so.1 is not in the image app:1",
    );
    expect(missing.container.fix).toContain("this needs its libraries in the image");
    expect(judge(AARCH64_DYNAMIC, view, image({ "/lib/ld-linux-aarch64.so.1": "present" })).ok).toBe(true);
    const noF = kernel({ entries: [qemuEntry("aarch64", { flags: "" })] });
    expect(judge(AARCH64, noF, image({ "/usr/bin/qemu-aarch64-static": "present" })).container.runs).toBe("yes");
    expect(judge(AARCH64, noF, image({})).container.runs).toBe("no");
  });
});

describe("the platform named", () => {
  it("is the target's canonical one, and the oldest ARM variant for a soft-float ARM program", () => {
    const view = kernel({});
    expect(judge({ bits: 32, little: true, machine: 40, flags: 0x05000400 }, view).platform).toBe("linux/arm/v7");
    const armel = judge({ bits: 32, little: true, machine: 40, flags: 0x05000200 }, view);
    expect(armel.platform).toBe("linux/arm/v5");
    expect(armel.here?.fix).toBe("qus ensure --platforms linux/arm/v5");
  });
});
