import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalDriver, resolvePlatforms } from "@qus/core";
import { plan } from "@qus/core/toolkit";
import { describe, expect, it } from "vitest";
import {
  entryNames,
  i386RunsNatively,
  qus,
  qusJson,
  readEntryText,
  registerRaw,
  removeRaw,
  useCleanQemuTable,
} from "./support/kernel.js";

useCleanQemuTable();

describe("the native guard", () => {
  it("never registers the host's own architecture, nor i386 where this machine runs it natively", async () => {
    const native386 = i386RunsNatively();
    const { run, report } = await qusJson(["ensure", "--platforms", "linux/amd64,linux/386"]);
    expect(run.exitCode).toBe(0);
    expect(report.platforms.map((p) => [p.platform, p.action, p.after])).toEqual([
      ["linux/amd64", "native", "native"],
      // Some x86_64 VMs cannot run i386: there, and only there, the run proved it foreign and registered QEMU.
      native386 ? ["linux/386", "native", "native"] : ["linux/386", "register", "enabled"],
    ]);
    expect(entryNames()).not.toContain("qemu-x86_64");
    expect(entryNames().includes("qemu-i386")).toBe(!native386);
  });

  it("refuses, at the last moment, a registration whose magic matches the host's programs", async () => {
    const driver = createLocalDriver();
    const [x86] = resolvePlatforms("linux/amd64");
    if (!x86) throw new Error("no amd64 target");
    // A plan that pretends nothing runs natively: the driver itself must still refuse.
    const steps = plan({
      targets: [x86],
      entries: [],
      native: new Set(),
      interpreters: new Map([["x86_64", { path: "/usr/bin/qemu-x86_64-static", static: true }]]),
      flags: "FC",
      replace: false,
    });
    expect(steps[0]?.action).toBe("register");
    const outcome = await driver.apply(steps, []);
    expect(outcome.failures.get("x86_64")?.code).toBe("QUS_HOST_MATCH");
    expect(entryNames()).not.toContain("qemu-x86_64");
  });
});

describe("qus remove", () => {
  it("removes qus's entries and leaves other entries in place", async () => {
    registerRaw(":qus-test-foreign:E::qustestext::/bin/true:");
    try {
      expect((await qus(["ensure", "--platforms", "arm64,s390x"])).exitCode).toBe(0);
      const { run, report } = await qusJson(["remove", "--platforms", "all"]);
      expect(run.exitCode).toBe(0);
      expect(report.platforms.filter((p) => p.action === "remove").map((p) => p.cpu)).toEqual(["aarch64", "s390x"]);
      expect(entryNames().filter((name) => name.startsWith("qemu-"))).toEqual([]);
      expect(entryNames()).toContain("qus-test-foreign");
    } finally {
      removeRaw("qus-test-foreign");
    }
  });

  it("changes nothing with --dry-run", async () => {
    expect((await qus(["ensure", "--platforms", "riscv64"])).exitCode).toBe(0);
    const { report } = await qusJson(["remove", "--platforms", "riscv64", "--dry-run"]);
    expect(report.platforms[0]?.action).toBe("remove");
    expect(entryNames()).toContain("qemu-riscv64");
  });
});

describe("qus persist", () => {
  it("writes binfmt.d files that register the same entries again", async () => {
    expect((await qus(["ensure", "--platforms", "arm64,ppc64le"])).exitCode).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "qus-binfmt.d-"));
    try {
      const run = await qus(["persist", "--dir", dir]);
      expect(run.exitCode).toBe(0);
      // A comment naming qus (systemd-binfmt skips lines starting with #), then the register line.
      const [marker, line = ""] = readFileSync(join(dir, "qemu-aarch64.conf"), "utf8").split("\n");
      expect(marker).toMatch(/^# Written by qus/);
      expect(line).toMatch(/^:qemu-aarch64:M::\\x7f\\x45\\x4c\\x46/);
      const before = readEntryText("qemu-aarch64");
      removeRaw("qemu-aarch64");
      registerRaw(line.trimEnd());
      expect(readEntryText("qemu-aarch64")).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the environment", () => {
  it("says QEMU is missing, with the package to install, and exits 3", async () => {
    const empty = mkdtempSync(join(tmpdir(), "qus-no-qemu-"));
    try {
      const { run, report } = await qusJson(["ensure", "--platforms", "s390x", "--qemu-path", empty]);
      expect(run.exitCode).toBe(3);
      expect(report.platforms[0]?.action).toBe("missing-interpreter");
      expect(report.platforms[0]?.hint).toMatch(/qemu-user-static/);
      expect(entryNames()).not.toContain("qemu-s390x");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("lets a user who is not root verify, and says the check ran outside a chroot", async () => {
    expect((await qus(["ensure", "--platforms", "arm64"])).exitCode).toBe(0);
    const run = await qus(["verify", "--platforms", "arm64"], { uid: 65534 });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/not root: probes ran outside a chroot/);
  });

  it("tells a user who is not root, exits 3 and changes nothing", async () => {
    const run = await qus(["ensure", "--platforms", "arm64"], { uid: 65534 });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/QUS_NOT_ROOT/);
    expect(run.stderr).toMatch(/sudo/);
    expect(entryNames()).not.toContain("qemu-aarch64");
  });
});
