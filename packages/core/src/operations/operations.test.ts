import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { entryFromRegister, fakeDriver, qemuEntry } from "../test-support.js";
import { ensure } from "./ensure.js";
import { PERSIST_MARKER, persist } from "./persist.js";
import { remove } from "./remove.js";
import { status, verify } from "./status.js";

// The operations through a driver that holds the table in memory (no kernel here): what they plan, apply and report.
const BE64_ALL =
  ":be64-all:M::\\x7fELF\\x02\\x02\\x01:\\xff\\xff\\xff\\xff\\xff\\xff\\xff:/usr/bin/qemu-s390x-static:F";
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "qus-ops-test-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("ensure", () => {
  it("registers what is missing, verifies it, and a second run changes nothing", async () => {
    const driver = fakeDriver([]);
    const first = await ensure({ platforms: "arm64,riscv64", driver });
    expect(first.platforms.map((p) => [p.cpu, p.action, p.after, p.verified])).toEqual([
      ["aarch64", "register", "enabled", true],
      ["riscv64", "register", "enabled", true],
    ]);
    const second = await ensure({ platforms: "arm64,riscv64", driver });
    expect(second.platforms.map((p) => p.action)).toEqual(["ok", "ok"]);
    expect(driver.applied).toHaveLength(1);
  });

  it("a dry run applies nothing and does not mount or probe", async () => {
    const driver = fakeDriver([]);
    const report = await ensure({ platforms: "s390x", driver, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, ok: true });
    expect(driver.applied).toEqual([]);
    expect(driver.requests[0]).toMatchObject({ mount: false, verify: false });
  });

  it("with binfmt_misc switched off, changes nothing and reports QUS_BINFMT_DISABLED for each platform", async () => {
    const driver = fakeDriver([], {
      kernel: { release: "6.1", binfmtMounted: true, binfmtEnabled: false, mountedByQus: false },
    });
    const report = await ensure({ platforms: "arm64,s390x", driver });
    expect(driver.applied).toEqual([]);
    expect(report.platforms.map((p) => p.error?.code)).toEqual(["QUS_BINFMT_DISABLED", "QUS_BINFMT_DISABLED"]);
    expect(report.platforms[0]?.hint).toContain("echo 1 > /proc/sys/fs/binfmt_misc/status");
  });

  it("reports an entry claiming a native architecture and registers nothing for it, --replace or not", async () => {
    const driver = fakeDriver([], {
      native: new Map([["i386", "runs natively"]]),
      hostClaims: new Map([["i386", ["qemu-i386"]]]),
    });
    const report = await ensure({ platforms: "386", driver, replace: true });
    expect(report.platforms[0]).toMatchObject({ action: "native", ok: false, error: { code: "QUS_NATIVE_CLAIMED" } });
    expect(driver.applied).toEqual([]);
  });

  it("names what else an entry in the way serves, as a conflict and when --replace removes it", async () => {
    const be64 = entryFromRegister("be64-all", BE64_ALL);
    const conflict = await ensure({ platforms: "s390x", driver: fakeDriver([be64]) });
    expect(conflict.platforms[0]?.action).toBe("conflict");
    expect(conflict.platforms[0]?.reasons.join("\n")).toMatch(/be64-all .*also serves linux\/ppc64, linux\/mips64/);
    const replaced = await ensure({ platforms: "s390x", driver: fakeDriver([be64]), replace: true });
    expect(replaced.platforms[0]?.action).toBe("replace");
    expect(replaced.warnings.join("\n")).toMatch(/replacing it for linux\/s390x stops them/);
  });

  it("a probe that fails after registering is not ok, with its failure kind", async () => {
    // Registered and claimed, the probe reaches the emulator: a broken one crashes (no handler would be a lie).
    const report = await ensure({ platforms: "riscv64", driver: fakeDriver([], {}, { broken: ["riscv64"] }) });
    expect(report.platforms[0]).toMatchObject({ verified: false, failure: "crashed", ok: false });
  });
});

describe("status and verify", () => {
  it("status reads without probing; verify probes and fails a platform nothing claims", async () => {
    const driver = fakeDriver([qemuEntry("aarch64")]);
    const read = await status({ platforms: "arm64,s390x", driver });
    expect(read.platforms.map((p) => [p.cpu, p.verified, p.ok])).toEqual([
      ["aarch64", null, true],
      ["s390x", null, false],
    ]);
    const checked = await verify({ platforms: "arm64,s390x", driver });
    expect(checked.platforms.map((p) => [p.cpu, p.verified, p.failure])).toEqual([
      ["aarch64", true, undefined],
      ["s390x", false, "no-handler"],
    ]);
  });

  it("verify judges the F flag when the probe ran outside a chroot (not root)", async () => {
    const driver = fakeDriver([qemuEntry("aarch64", { flags: "OC" })], {
      probes: new Map([["aarch64", { ok: true, chrooted: false }]]),
    });
    const report = await verify({ platforms: "arm64", driver });
    expect(report.platforms[0]).toMatchObject({ verified: false, failure: "interpreter-unreachable", ok: false });
  });

  it("status: an entry without F whose interpreter file is gone is not ok; with F the kernel holds it, so it is", async () => {
    const gone = "/opt/gone/qemu-aarch64-static";
    const interpreterFiles = new Map([[gone, "missing" as const]]);
    const withoutF = await status({
      platforms: "arm64",
      driver: fakeDriver([qemuEntry("aarch64", { flags: "OC", interpreter: gone })], { interpreterFiles }),
    });
    expect(withoutF.platforms[0]).toMatchObject({ verified: null, failure: "interpreter-unreachable", ok: false });
    expect(withoutF.platforms[0]?.verification).toContain(`${gone} of qemu-aarch64 does not exist`);
    expect(withoutF.platforms[0]?.hint).toMatch(/reinstall its interpreter/);
    expect(withoutF.platforms[0]?.hint).toContain("qus ensure --replace --platforms linux/arm64");
    expect(withoutF.ok).toBe(false);

    const withF = await status({
      platforms: "arm64",
      driver: fakeDriver([qemuEntry("aarch64", { flags: "OCF", interpreter: gone })], { interpreterFiles }),
    });
    expect(withF.platforms[0]).toMatchObject({ verified: null, ok: true });
    expect(withF.platforms[0]?.failure).toBeUndefined();
  });

  it("verify: a probe that failed because that interpreter is gone says so, not 'runs only outside containers'", async () => {
    const gone = "/opt/gone/qemu-aarch64-static";
    const driver = fakeDriver([qemuEntry("aarch64", { flags: "OC", interpreter: gone })], {
      interpreterFiles: new Map([[gone, "missing"]]),
      probes: new Map([["aarch64", { ok: false, failure: "interpreter-unreachable", chrooted: false }]]),
    });
    const report = await verify({ platforms: "arm64", driver });
    expect(report.platforms[0]?.verification).toMatch(/does not exist/);
  });
});

describe("remove", () => {
  it("removes qus's entries only, reports them absent after, and is ok for what was already gone", async () => {
    const be64 = entryFromRegister("be64-all", BE64_ALL);
    const driver = fakeDriver([qemuEntry("aarch64"), be64]);
    const report = await remove({ platforms: "arm64,s390x", driver });
    expect(driver.removed).toEqual([["qemu-aarch64"]]);
    expect(report.platforms.map((p) => [p.cpu, p.action, p.after, p.ok])).toEqual([
      ["aarch64", "remove", "absent", true],
      ["s390x", "none", "absent", true],
    ]);
  });

  // Debian's qemu-user-static registers qemu-aarch64 itself (/usr/lib/binfmt.d/qemu-aarch64.conf, Debian 12).
  const DEBIAN_AARCH64 = qemuEntry("aarch64", {
    interpreter: "/usr/libexec/qemu-binfmt/aarch64-binfmt-P",
    flags: "POF",
  });

  it("leaves another program's entry of qus's name, which ensure reports as not qus's: not ok, with how to remove it", async () => {
    const ensured = await ensure({ platforms: "arm64", driver: fakeDriver([DEBIAN_AARCH64]) });
    expect(ensured.platforms[0]?.action).toBe("conflict");
    expect(ensured.platforms[0]?.reasons[0]).toMatch(/^qemu-aarch64 is not qus's .*aarch64-binfmt-P/);

    const driver = fakeDriver([DEBIAN_AARCH64]);
    const report = await remove({ platforms: "arm64", driver });
    expect(driver.removed).toEqual([]);
    expect(report.platforms[0]).toMatchObject({ action: "conflict", before: "enabled", after: "enabled", ok: false });
    expect(report.platforms[0]?.error).toBeUndefined();
    expect(report.platforms[0]?.reasons.join("\n")).toMatch(/not qus's .*left in place/s);
    expect(report.platforms[0]?.hint).toContain("echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64");
    expect(report.platforms[0]?.hint).toContain("qus ensure --replace --platforms linux/arm64");
    expect(report.ok).toBe(false);
    expect((await remove({ platforms: "arm64", driver, dryRun: true })).platforms[0]).toMatchObject({
      action: "conflict",
      after: "enabled",
      ok: false,
    });
  });

  it("one rule for ensure and remove: an entry whose only fault is another program's interpreter is a conflict for both", async () => {
    // No interpreter of qus's is found, and the flags are what ensure registers: only ownership tells it apart.
    const foreign = qemuEntry("riscv64", { interpreter: "/opt/other/riscv-runner", flags: "OCF" });
    const ensured = await ensure({ platforms: "riscv64", driver: fakeDriver([foreign], { interpreters: new Map() }) });
    expect(ensured.platforms[0]?.action).toBe("conflict");
    expect(ensured.platforms[0]?.reasons[0]).toMatch(/is not qus's .*riscv-runner is not QEMU's qemu-riscv64-static/);
    const removed = await remove({ platforms: "riscv64", driver: fakeDriver([foreign]) });
    expect(removed.platforms[0]?.action).toBe("conflict");
  });

  it("removes qus's own entry registered with other flags, or from another folder (--qemu-path, --qemu-from)", async () => {
    const driver = fakeDriver([
      qemuEntry("aarch64", { flags: "OC" }),
      qemuEntry("riscv64", { interpreter: "/root/.cache/qus/qemu/debian-trixie/qemu-riscv64" }),
    ]);
    const report = await remove({ platforms: "arm64,riscv64", driver });
    expect(driver.removed).toEqual([["qemu-aarch64", "qemu-riscv64"]]);
    expect(report.ok).toBe(true);
  });
});

describe("persist", () => {
  it("writes a marked file per verified entry and never overwrites one it did not write", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "qemu-riscv64.conf"), "an administrator's line\n");
    const driver = fakeDriver([qemuEntry("aarch64"), qemuEntry("riscv64")]);
    const report = await persist({ dir, driver });
    expect(report.platforms.map((p) => [p.cpu, p.error?.code])).toEqual([
      ["aarch64", undefined],
      ["riscv64", "QUS_PERSIST_CONFLICT"],
    ]);
    expect(
      readFileSync(join(dir, "qemu-aarch64.conf"), "utf8").startsWith(`${PERSIST_MARKER}\n:qemu-aarch64:M::`),
    ).toBe(true);
    expect(readFileSync(join(dir, "qemu-riscv64.conf"), "utf8")).toBe("an administrator's line\n");
    // Its own file, qus may write again.
    expect((await persist({ dir, driver, platforms: "arm64" })).ok).toBe(true);
  });

  it("persists nothing that does not verify, or whose path holds another cpu's QEMU now", async () => {
    const dir = tempDir();
    const driver = fakeDriver(
      [qemuEntry("aarch64"), qemuEntry("riscv64")],
      {
        qemuVersions: new Map([["/usr/bin/qemu-aarch64-static", "qemu-s390x version 7.2.22"]]),
      },
      { broken: ["riscv64"] },
    );
    const report = await persist({ dir, driver });
    expect(report.platforms.map((p) => p.error?.code)).toEqual(["QUS_PERSIST_FAILED", "QUS_PERSIST_FAILED"]);
    expect(report.platforms[0]?.error?.message).toMatch(/is qemu-s390x, not qemu-aarch64/);
    expect(report.files).toEqual([]);
  });
});
