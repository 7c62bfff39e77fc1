import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exitCodeOf, type QusError } from "../../errors.js";
import type { Exec } from "../../exec.js";
import { ensure } from "../../operations/ensure.js";
import { remove } from "../../operations/remove.js";
import { execResult, target } from "../../test-support.js";
import { NO_HANDLER_STATUS } from "../probe-verdict.js";
import type { WriteControl } from "./binfmt-fs.js";
import { createLocalDriver } from "./index.js";
import { parseMountOf } from "./mount-point.js";
import { binfmtWriteError } from "./write-errors.js";

// The local driver through its seams: a folder laid out as binfmt_misc and a fake exec that answers the probes.
const work = mkdtempSync(join(tmpdir(), "qus-local-driver-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const AARCH64_ENTRY = [
  "enabled",
  "interpreter /usr/bin/qemu-aarch64-static",
  "flags: OCF",
  "offset 0",
  "magic 7f454c460201010000000000000000000200b700",
  "mask ffffffffffffff00fffffffffffffffffeffffff",
  "",
].join("\n");

function binfmtDir(status: "enabled" | "disabled", entries: Record<string, string>): string {
  const dir = mkdtempSync(join(work, "binfmt-"));
  writeFileSync(join(dir, "register"), "");
  writeFileSync(join(dir, "status"), `${status}\n`);
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(dir, name), text);
  return dir;
}

/** An exec that records each call; the batch (xargs) fails when `failBatch`, chroot runs answer per probe. */
function fakeExec(chrootStatus: (probe: string) => number, failBatch = false) {
  const calls: string[][] = [];
  const exec: Exec = async (file, args) => {
    calls.push([file, ...args]);
    if (file === "xargs") return execResult({ exitCode: failBatch ? 123 : 0 });
    if (file === "chroot") return execResult({ exitCode: chrootStatus(args[1] ?? "") });
    // Without root the probe runs directly from its folder.
    if (file.startsWith(work)) return execResult({ exitCode: chrootStatus(`/${file.split("/").at(-1)}`) });
    return execResult({ exitCode: 0, stdout: "qemu-aarch64 version 7.2.22" });
  };
  return { exec, calls };
}

describe("local driver (a folder as binfmt_misc, fake exec)", () => {
  it("reads the entries, and binfmt_misc switched off as a whole", async () => {
    const { exec } = fakeExec(() => 0);
    const driver = createLocalDriver({ exec, binfmtDir: binfmtDir("disabled", { "qemu-aarch64": AARCH64_ENTRY }) });
    const inspection = await driver.inspect({ targets: [target("aarch64")], mount: false, verify: false });
    expect(inspection.entries.map((entry) => [entry.name, entry.flags, entry.enabled])).toEqual([
      ["qemu-aarch64", "OCF", true],
    ]);
    expect(inspection.kernel).toMatchObject({ binfmtMounted: true, binfmtEnabled: false });
    expect(inspection.warnings.join("\n")).toMatch(/switched off as a whole/);
  });

  it("probes claimed targets in one batch, and one by one for the reasons when the batch fails", async () => {
    const dir = binfmtDir("enabled", { "qemu-aarch64": AARCH64_ENTRY });
    const quiet = fakeExec(() => 0);
    const first = await createLocalDriver({ exec: quiet.exec, binfmtDir: dir }).inspect({
      targets: [target("aarch64"), target("s390x")],
      mount: false,
      verify: true,
    });
    // Only aarch64 is claimed: one probe runs on its own at once.
    expect(first.probes.get("aarch64")).toMatchObject({ ok: true });
    expect(first.probes.has("s390x")).toBe(false);

    const s390x = AARCH64_ENTRY.replace("qemu-aarch64", "qemu-s390x")
      .replace("magic 7f454c460201010000000000000000000200b700", "magic 7f454c4602020100000000000000000000020016")
      .replace("mask ffffffffffffff00fffffffffffffffffeffffff", "mask ffffffffffffff00fffffffffffffffffffeffff");
    const both = binfmtDir("enabled", { "qemu-aarch64": AARCH64_ENTRY, "qemu-s390x": s390x });
    const failing = fakeExec((probe) => (probe === "/s390x" ? NO_HANDLER_STATUS : 0), true);
    const second = await createLocalDriver({ exec: failing.exec, binfmtDir: both }).inspect({
      targets: [target("aarch64"), target("s390x")],
      mount: false,
      verify: true,
    });
    // The batch is chrooted, which needs root; without root each probe runs on its own.
    expect(failing.calls.filter((call) => call[0] === "xargs")).toHaveLength(process.getuid?.() === 0 ? 1 : 0);
    expect(second.probes.get("aarch64")).toMatchObject({ ok: true });
    expect(second.probes.get("s390x")).toMatchObject({ ok: false, failure: "no-handler" });
  });

  it("rejects a --qemu-path that is not one absolute folder before anything runs", () => {
    for (const qemuPath of ["relative/dir", "/usr/bin:/bin", join(work, "missing")]) {
      expect(() => createLocalDriver({ qemuPath })).toThrow(/--qemu-path/);
    }
  });
});

/** A mock of the one binfmt_misc write that fails as the kernel did, with a recorded errno (Node's own error shape). */
function failingWrite(code: string, errno: number, message: string): { write: WriteControl; paths: string[] } {
  const paths: string[] = [];
  const write: WriteControl = async (path) => {
    paths.push(path);
    throw Object.assign(new Error(`${code}: ${message}, open '${path}'`), {
      code,
      errno: -errno,
      syscall: "open",
      path,
    });
  };
  return { write, paths };
}

/** A folder with a fake `qemu-riscv64-static`, so ensure finds an interpreter to register. */
function qemuFolder(): string {
  const dir = mkdtempSync(join(work, "qemu-"));
  writeFileSync(join(dir, "qemu-riscv64-static"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(dir, "qemu-riscv64-static"), 0o755);
  return dir;
}

const platformError = (report: { platforms: readonly { error?: { code: string; message: string } }[] }) =>
  report.platforms[0]?.error;

describe("local driver on a half-broken binfmt_misc (mocked writeControl with recorded errnos)", () => {
  it("EROFS on register (mock): QUS_BINFMT_READONLY, exit 3, naming the read-only mount and what to do", async () => {
    const dir = binfmtDir("enabled", {});
    const { write, paths } = failingWrite("EROFS", 30, "read-only file system");
    const driver = createLocalDriver({ exec: fakeExec(() => 0).exec, binfmtDir: dir, writeControl: write, root: true });
    const report = await ensure({ platforms: "riscv64", driver, qemuPath: qemuFolder() });
    expect(paths).toEqual([`${dir}/register`]);
    const error = platformError(report);
    expect(error?.code).toBe("QUS_BINFMT_READONLY");
    expect(exitCodeOf("QUS_BINFMT_READONLY")).toBe(3);
    expect(error?.message).toMatch(/read-only/);
    expect(error?.message).toContain("register qemu-riscv64");
    expect(error?.message).not.toMatch(/dmesg/);
    expect(report.platforms[0]?.hint).toMatch(/read-write as root on the host/);
    expect(report.platforms[0]?.hint).toMatch(/--driver docker/);
    expect(report.ok).toBe(false);
  });

  it("EROFS on an entry's own file when enabling it (mock): QUS_BINFMT_READONLY for that entry", async () => {
    const dir = binfmtDir("enabled", { "qemu-aarch64": AARCH64_ENTRY.replace("enabled", "disabled") });
    const { write, paths } = failingWrite("EROFS", 30, "read-only file system");
    const driver = createLocalDriver({ exec: fakeExec(() => 0).exec, binfmtDir: dir, writeControl: write, root: true });
    const report = await ensure({ platforms: "arm64", driver });
    expect(paths).toEqual([`${dir}/qemu-aarch64`]);
    expect(platformError(report)).toMatchObject({ code: "QUS_BINFMT_READONLY" });
    expect(platformError(report)?.message).toContain("enable qemu-aarch64");
  });

  it("EACCES on register as root (mock): QUS_PRIVILEGE_DENIED, exit 3, naming the file and the confinement", async () => {
    const dir = binfmtDir("enabled", {});
    const { write } = failingWrite("EACCES", 13, "permission denied");
    const driver = createLocalDriver({ exec: fakeExec(() => 0).exec, binfmtDir: dir, writeControl: write, root: true });
    const report = await ensure({ platforms: "riscv64", driver, qemuPath: qemuFolder() });
    const error = platformError(report);
    expect(error?.code).toBe("QUS_PRIVILEGE_DENIED");
    expect(exitCodeOf("QUS_PRIVILEGE_DENIED")).toBe(3);
    expect(error?.message).toContain(`EACCES on ${dir}/register`);
    expect(error?.message).toMatch(/although qus runs as root/);
  });

  it("EPERM on an entry's file when removing it (mock): QUS_PRIVILEGE_DENIED, the entry reported still there", async () => {
    const dir = binfmtDir("enabled", { "qemu-aarch64": AARCH64_ENTRY });
    const { write } = failingWrite("EPERM", 1, "operation not permitted");
    const driver = createLocalDriver({ exec: fakeExec(() => 0).exec, binfmtDir: dir, writeControl: write, root: true });
    const report = await remove({ platforms: "arm64", driver });
    expect(report.platforms[0]).toMatchObject({ after: "enabled", ok: false, error: { code: "QUS_PRIVILEGE_DENIED" } });
    expect(platformError(report)?.message).toContain("remove qemu-aarch64");
  });

  it("an entry file that vanished between listing and reading (a dangling link in the folder) is left out", async () => {
    const dir = binfmtDir("enabled", { "qemu-aarch64": AARCH64_ENTRY });
    symlinkSync(join(dir, "gone-meanwhile"), join(dir, "qemu-s390x"));
    const driver = createLocalDriver({ exec: fakeExec(() => 0).exec, binfmtDir: dir });
    const inspection = await driver.inspect({ targets: [target("s390x")], mount: false, verify: false });
    expect(inspection.entries.map((entry) => entry.name)).toEqual(["qemu-aarch64"]);
  });

  it("an entry that vanishes between reading and enabling it (mock: ENOENT, file gone) is named as removed meanwhile", async () => {
    const dir = binfmtDir("enabled", { "qemu-aarch64": AARCH64_ENTRY.replace("enabled", "disabled") });
    const write: WriteControl = async (path) => {
      rmSync(path);
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
    };
    const driver = createLocalDriver({ exec: fakeExec(() => 0).exec, binfmtDir: dir, writeControl: write, root: true });
    const report = await ensure({ platforms: "arm64", driver });
    expect(platformError(report)?.message).toMatch(/removed by another program/);
  });
});

describe("binfmtWriteError (recorded errnos)", () => {
  const erofs = Object.assign(new Error("EROFS"), { code: "EROFS" });
  const eacces = Object.assign(new Error("EACCES"), { code: "EACCES" });
  const write = { what: "register qemu-aarch64", path: "/b/register", dir: "/b", root: true };

  it("EROFS names the read-only mount that holds binfmt_misc, and a remount command quoted for a shell", () => {
    const mountOf = () => ({ path: "/proc/sys", fsType: "proc", readOnly: true });
    const error = binfmtWriteError(erofs, write, { mountOf }) as QusError;
    expect(error.code).toBe("QUS_BINFMT_READONLY");
    expect(error.message).toContain("/proc/sys is mounted read-only (it holds /b)");
    expect(error.hint).toContain("mount -o remount,rw /proc/sys");
  });

  it("EACCES as root in a user namespace names the namespace; without root it is QUS_NOT_ROOT", () => {
    const inNamespace = binfmtWriteError(eacces, write, { userNamespace: () => "uid map 0 1000 1" });
    expect(inNamespace?.code).toBe("QUS_PRIVILEGE_DENIED");
    expect(inNamespace?.message).toContain("uid map 0 1000 1");
    expect(binfmtWriteError(eacces, { ...write, root: false })?.code).toBe("QUS_NOT_ROOT");
  });

  it("leaves other errnos to the caller", () => {
    expect(binfmtWriteError(Object.assign(new Error("EINVAL"), { code: "EINVAL" }), write)).toBeUndefined();
  });
});

describe("parseMountOf", () => {
  const MOUNTINFO = [
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
    "25 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw",
    "64 25 0:39 / /proc/sys/fs/binfmt_misc rw,relatime shared:30 - binfmt_misc binfmt_misc rw",
    "103 64 0:39 / /proc/sys/fs/binfmt_misc ro,relatime - binfmt_misc binfmt_misc rw",
    "110 22 0:50 / /mnt/with\\040space rw - tmpfs tmpfs ro",
  ].join("\n");

  it("finds the last mount of the longest mount point holding the path, read-only by the mount or its filesystem", () => {
    expect(parseMountOf(MOUNTINFO, "/proc/sys/fs/binfmt_misc")).toEqual({
      path: "/proc/sys/fs/binfmt_misc",
      fsType: "binfmt_misc",
      readOnly: true,
    });
    expect(parseMountOf(MOUNTINFO, "/proc/sys")).toMatchObject({ path: "/proc", readOnly: false });
    expect(parseMountOf(MOUNTINFO, "/mnt/with space/x")).toMatchObject({ path: "/mnt/with space", readOnly: true });
    expect(parseMountOf(MOUNTINFO, "/procfoo")).toMatchObject({ path: "/" });
  });
});
