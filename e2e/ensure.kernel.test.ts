import { describe, expect, it } from "vitest";
import {
  busybox,
  disableRaw,
  entryNames,
  qus,
  qusJson,
  readEntryText,
  registerRaw,
  removeRaw,
  runProgram,
  SEVEN,
  useCleanQemuTable,
} from "./support/kernel.js";

// Real kernel, real QEMU, real Debian binaries: these tests change this machine's binfmt_misc table,
// run one at a time (kernel project), and put the table's qemu-* entries back afterwards.
useCleanQemuTable();

const STALE_AARCH64 =
  ":qemu-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/bin/qemu-aarch64-static:";

describe("qus ensure on this machine's kernel", () => {
  it("registers and verifies seven platforms from a clean table; Debian's own binaries then run", async () => {
    const { run, report } = await qusJson(["ensure", "--platforms", SEVEN]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(report.platforms.map((p) => [p.platform, p.action, p.after, p.verified, p.flags])).toEqual(
      [
        "linux/arm64",
        "linux/arm/v7",
        "linux/ppc64le",
        "linux/s390x",
        "linux/riscv64",
        "linux/mips64le",
        "linux/loong64",
      ].map((platform) => [platform, "register", "enabled", true, "OCF"]),
    );
    expect(report.platforms.every((p) => p.qemuVersion?.startsWith("qemu-"))).toBe(true);

    const expected: Record<string, string> = {
      arm64: "aarch64",
      armhf: "armv7l",
      ppc64el: "ppc64le",
      s390x: "s390x",
      riscv64: "riscv64",
      mips64el: "mips64",
    };
    for (const [arch, machine] of Object.entries(expected)) {
      const result = runProgram(busybox(arch), ["uname", "-m"]);
      expect({ arch, ...result }).toMatchObject({ arch, status: 0, stdout: machine });
    }
  });

  it("changes nothing on a second run", async () => {
    expect((await qus(["ensure", "--platforms", SEVEN])).exitCode).toBe(0);
    const before = entryNames().map((name) => [name, readEntryText(name)]);
    const { run, report } = await qusJson(["ensure", "--platforms", SEVEN]);
    expect(run.exitCode).toBe(0);
    expect(report.platforms.map((p) => p.action)).toEqual(Array(7).fill("ok"));
    expect(report.platforms.every((p) => p.verified === true)).toBe(true);
    expect(entryNames().map((name) => [name, readEntryText(name)])).toEqual(before);
  });

  it("reports a stale entry without F as a conflict, and repairs it with --replace", async () => {
    registerRaw(STALE_AARCH64);
    const conflict = await qusJson(["ensure", "--platforms", "linux/arm64"]);
    expect(conflict.run.exitCode).toBe(1);
    expect(conflict.report.platforms[0]).toMatchObject({ action: "conflict", verified: false, flags: "" });
    expect(conflict.report.platforms[0]?.hint).toMatch(/--replace/);
    expect(conflict.report.platforms[0]?.verification).toMatch(/ENOENT/);
    expect(readEntryText("qemu-aarch64")).toMatch(/flags: \n/);

    const repaired = await qusJson(["ensure", "--platforms", "linux/arm64", "--replace"]);
    expect(repaired.run.exitCode).toBe(0);
    expect(repaired.report.platforms[0]).toMatchObject({
      before: "enabled",
      action: "replace",
      verified: true,
      flags: "OCF",
    });
  });

  it("treats another installer's entry under another name as a conflict, and removes it only with --replace", async () => {
    registerRaw(STALE_AARCH64.replace(":qemu-aarch64:", ":distro-arm64:"));
    try {
      const conflict = await qusJson(["ensure", "--platforms", "arm64"]);
      expect(conflict.run.exitCode).toBe(1);
      expect(conflict.report.platforms[0]?.action).toBe("conflict");
      expect(conflict.report.platforms[0]?.reasons.join()).toMatch(/distro-arm64/);
      expect(entryNames()).toContain("distro-arm64");

      const replaced = await qusJson(["ensure", "--platforms", "arm64", "--replace"]);
      expect(replaced.run.exitCode).toBe(0);
      expect(entryNames()).not.toContain("distro-arm64");
      expect(replaced.report.platforms[0]).toMatchObject({ action: "replace", verified: true });
    } finally {
      removeRaw("distro-arm64");
    }
  });

  it("enables a disabled entry", async () => {
    expect((await qus(["ensure", "--platforms", "s390x"])).exitCode).toBe(0);
    disableRaw("qemu-s390x");
    const { run, report } = await qusJson(["ensure", "--platforms", "s390x"]);
    expect(run.exitCode).toBe(0);
    expect(report.platforms[0]).toMatchObject({
      before: "disabled",
      action: "enable",
      after: "enabled",
      verified: true,
    });
  });

  it("ends with all eight of eight concurrent runs successful and the table correct", async () => {
    const runs = await Promise.all(Array.from({ length: 8 }, () => qus(["ensure", "--platforms", SEVEN])));
    expect(runs.map((run) => run.exitCode)).toEqual(Array(8).fill(0));
    const qemuEntries = entryNames().filter((name) => name.startsWith("qemu-"));
    expect(qemuEntries).toEqual([
      "qemu-aarch64",
      "qemu-arm",
      "qemu-loongarch64",
      "qemu-mips64el",
      "qemu-ppc64le",
      "qemu-riscv64",
      "qemu-s390x",
    ]);
    for (const name of qemuEntries) expect(readEntryText(name)).toMatch(/^enabled\n[\s\S]*flags: OCF\n/);
  });
});
