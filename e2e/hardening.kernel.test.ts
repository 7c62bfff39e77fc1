import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { targetByCpu } from "@qus/core/toolkit";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { HUNG_EMULATOR_SOURCE } from "./support/hung-emulator.js";
import {
  BINFMT,
  entryNames,
  i386RunsNatively,
  qus,
  qusJson,
  readEntryText,
  registerRaw,
  removeRaw,
  useCleanQemuTable,
} from "./support/kernel.js";

// Hostile cases against this machine's real kernel: hung and broken emulators, signals, racing runs, a switched-off
// binfmt_misc, a noexec TMPDIR, users who are not root. Everything registered here is removed again.
const work = mkdtempSync(join(tmpdir(), "qus-hardening-"));
const hangDir = join(work, "hang");
const noexec = join(work, "noexec");

useCleanQemuTable(() => {
  mkdirSync(hangDir);
  // It hangs on qus's probes only: BuildKit's own platform check in dockerd, should it run meanwhile, fails at once.
  writeFileSync(join(work, "hang.c"), HUNG_EMULATOR_SOURCE);
  writeFileSync(join(work, "true.c"), "int main(void) { return 0; }\n");
  execFileSync("gcc", ["-static", "-O2", "-o", join(hangDir, "qemu-s390x-static"), join(work, "hang.c")]);
  execFileSync("gcc", ["-O2", "-o", join(work, "dynamic-interpreter"), join(work, "true.c")]);
  copyFileSync("/usr/bin/qemu-aarch64-static", join(hangDir, "qemu-aarch64-static"));
  mkdirSync(noexec);
  execFileSync("mount", ["-t", "tmpfs", "-o", "noexec,size=8m", "tmpfs", noexec]);
});

afterEach(() => {
  // A hung emulator must never outlive a test, nor binfmt_misc stay switched off.
  writeFileSync(`${BINFMT}/status`, "1");
  for (const name of ["be64-all", "qus-test-i386"]) removeRaw(name);
  spawnSync("pkill", ["-KILL", "-f", hangDir]);
});

afterAll(() => {
  spawnSync("umount", [noexec]);
  rmSync(work, { recursive: true, force: true });
});

/** Processes whose command line names the hanging emulator's folder. */
function hungProcesses(): string[] {
  return readdirSync("/proc")
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        return cmdline.startsWith(hangDir) ? [cmdline] : [];
      } catch {
        return [];
      }
    });
}

const probeDirsOf = (pid: number) => readdirSync(tmpdir()).filter((name) => name.startsWith(`qus-probe-${pid}-`));

/** Starts `ensure` with the hung s390x emulator and returns once its probes run (their folder exists). */
async function ensureUntilProbing(): Promise<{ pid: number; running: ReturnType<typeof qus> }> {
  let pid = 0;
  const running = qus(["ensure", "--platforms", "s390x", "--qemu-path", hangDir], {
    onSpawn: (child) => {
      pid = child;
    },
  });
  for (let i = 0; i < 300 && probeDirsOf(pid).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  return { pid, running };
}

describe("an emulator that hangs", () => {
  it("ends ensure within the probe timeout, says it hung with its path and BuildKit, and kills it", async () => {
    let pid = 0;
    const run = await qus(["ensure", "--platforms", "s390x,arm64", "--qemu-path", hangDir, "--json"], {
      onSpawn: (child) => {
        pid = child;
      },
    });
    expect(run.exitCode, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout);
    const [s390x, arm64] = report.platforms;
    expect(s390x).toMatchObject({ failure: "timeout", verified: false, ok: false });
    expect(s390x.verification).toContain(`timed out: the emulator hung (${hangDir}/qemu-s390x-static)`);
    expect(s390x.hint).toMatch(/BuildKit/);
    expect(arm64).toMatchObject({ verified: true, ok: true });
    expect(hungProcesses()).toEqual([]);
    expect(probeDirsOf(pid)).toEqual([]);
  });

  it("ends verify and the fixing ensure --replace the same way", async () => {
    expect((await qus(["ensure", "--platforms", "s390x", "--qemu-path", hangDir])).exitCode).toBe(1);
    const verify = await qusJson(["verify", "--platforms", "s390x"]);
    expect(verify.run.exitCode).toBe(1);
    expect(verify.report.platforms[0]?.failure).toBe("timeout");
    // The fix: replace the hung entry with Debian's emulator.
    const fix = await qusJson(["ensure", "--replace", "--platforms", "s390x"]);
    expect(fix.run.exitCode, fix.run.stderr).toBe(0);
    expect(fix.report.platforms[0]).toMatchObject({ action: "replace", verified: true });
    expect(hungProcesses()).toEqual([]);
  });

  it("on SIGINT, stops its processes, removes its probe folder and exits 130", async () => {
    const { pid, running } = await ensureUntilProbing();
    expect(probeDirsOf(pid)).toHaveLength(1);
    process.kill(pid, "SIGINT");
    const run = await running;
    expect(run.exitCode).toBe(130);
    expect(run.stderr).toMatch(/interrupted by SIGINT/);
    expect(probeDirsOf(pid)).toEqual([]);
    expect(hungProcesses()).toEqual([]);
  });

  it("after SIGKILL, the next run sweeps the folder the killed run left", async () => {
    const { pid, running } = await ensureUntilProbing();
    process.kill(pid, "SIGKILL");
    await running;
    expect(probeDirsOf(pid)).toHaveLength(1);
    spawnSync("pkill", ["-KILL", "-f", hangDir]);
    expect((await qus(["verify", "--platforms", "s390x"])).exitCode).toBe(1);
    expect(probeDirsOf(pid)).toEqual([]);
  });
});

describe("the native guard", () => {
  it("learns nothing from a noexec TMPDIR and never registers i386 where it runs natively", async () => {
    const cache = mkdtempSync(join(work, "cache-"));
    const env = { TMPDIR: noexec, XDG_CACHE_HOME: cache };
    const blind = await qusJson(["ensure", "--platforms", "386"], env);
    expect(blind.report.platforms[0]?.action).toBe("native");
    expect(entryNames()).not.toContain("qemu-i386");
    const remembered = existsSync(join(cache, "qus/native.json"))
      ? JSON.parse(readFileSync(join(cache, "qus/native.json"), "utf8")).native
      : {};
    expect(remembered).not.toHaveProperty("i386");

    const native386 = i386RunsNatively();
    const { run, report } = await qusJson(["ensure", "--platforms", "all"], { XDG_CACHE_HOME: cache });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(report.platforms.find((p) => p.cpu === "i386")?.action).toBe(native386 ? "native" : "register");
    expect(entryNames().includes("qemu-i386")).toBe(!native386);
  });

  it("reports an entry that claims a native architecture, and --replace does not register QEMU for it", async () => {
    // What the machine runs natively, as a run of this boot proved it: forged here so the case exists on every host.
    const cache = mkdtempSync(join(work, "cache-"));
    const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    mkdirSync(join(cache, "qus"));
    writeFileSync(join(cache, "qus/native.json"), JSON.stringify({ bootId, native: { i386: true } }));
    const i386 = targetByCpu("i386");
    registerRaw(`:qus-test-i386:M::${i386?.magic}:${i386?.mask}:/usr/bin/qemu-i386-static:F`);
    for (const args of [["ensure"], ["ensure", "--replace"], ["status"]]) {
      const { run, report } = await qusJson([...args, "--platforms", "386"], { XDG_CACHE_HOME: cache });
      expect(run.exitCode).toBe(3);
      expect(report.platforms[0]).toMatchObject({ action: args[0] === "status" ? "none" : "native", ok: false });
      expect(report.platforms[0]?.error?.code).toBe("QUS_NATIVE_CLAIMED");
      expect(report.platforms[0]?.hint).toContain("/proc/sys/fs/binfmt_misc/qus-test-i386");
    }
    expect(entryNames()).not.toContain("qemu-i386");
    expect(entryNames()).toContain("qus-test-i386");
  });
});

describe("honest reports", () => {
  it("ten concurrent removes all succeed and all report the entries absent", async () => {
    expect((await qus(["ensure", "--platforms", "arm64,arm,s390x,riscv64,ppc64le"])).exitCode).toBe(0);
    const runs = await Promise.all(Array.from({ length: 10 }, () => qusJson(["remove", "--platforms", "all"])));
    for (const { run, report } of runs) {
      expect(run.exitCode, run.stdout).toBe(0);
      expect(report.platforms.every((p) => p.after === "absent")).toBe(true);
    }
    expect(entryNames().filter((name) => name.startsWith("qemu-"))).toEqual([]);
  });

  it("detects binfmt_misc switched off as a whole, says how to switch it on, and changes nothing", async () => {
    expect((await qus(["ensure", "--platforms", "arm64"])).exitCode).toBe(0);
    writeFileSync(`${BINFMT}/status`, "0");
    const status = await qusJson(["status", "--platforms", "arm64"]);
    expect(status.run.exitCode).toBe(3);
    expect(status.report.kernel.binfmtEnabled).toBe(false);
    expect(status.report.platforms[0]?.error?.code).toBe("QUS_BINFMT_DISABLED");
    expect(status.report.platforms[0]?.hint).toContain("echo 1 > /proc/sys/fs/binfmt_misc/status");
    const ensure = await qusJson(["ensure", "--platforms", "arm64,riscv64"]);
    expect(ensure.run.exitCode).toBe(3);
    expect(entryNames()).not.toContain("qemu-riscv64");
    expect(readFileSync(`${BINFMT}/status`, "utf8").trim()).toBe("disabled");
  });

  it("fails verify for a user who is not root when the entry has no F flag, as it does for root", async () => {
    await qus(["ensure", "--platforms", "arm64", "--flags", "C"]);
    expect(readEntryText("qemu-aarch64")).toMatch(/flags: OC\n/);
    for (const uid of [0, 65534]) {
      const run = await qus(["verify", "--platforms", "arm64", "--json"], { uid });
      expect(run.exitCode, `uid ${uid}`).toBe(1);
      expect(JSON.parse(run.stdout).platforms[0].failure).toBe("interpreter-unreachable");
    }
  });

  it("names what else an entry in the way served before --replace removes it", async () => {
    registerRaw(
      ":be64-all:M::\\x7fELF\\x02\\x02\\x01:\\xff\\xff\\xff\\xff\\xff\\xff\\xff:/usr/bin/qemu-s390x-static:F",
    );
    const conflict = await qusJson(["ensure", "--platforms", "s390x"]);
    expect(conflict.run.exitCode).toBe(1);
    expect(conflict.report.platforms[0]?.reasons.join(" ")).toMatch(/be64-all .* also serves linux\/ppc64/);
    const replaced = await qusJson(["ensure", "--platforms", "s390x", "--replace"]);
    expect(replaced.run.exitCode).toBe(0);
    expect(replaced.report.warnings.join(" ")).toMatch(/be64-all .* also serves linux\/ppc64.*stops them/);
  });

  it("adds up repeated --platforms and refuses other repeated options with exit 2", async () => {
    const { run, report } = await qusJson(["ensure", "--platforms", "arm64", "--platforms", "riscv64"]);
    expect(run.exitCode).toBe(0);
    expect(report.platforms.map((p) => p.cpu)).toEqual(["aarch64", "riscv64"]);
    const repeated = await qus(["ensure", "--platforms", "arm64", "--flags", "F", "--flags", "FC"]);
    expect(repeated.exitCode).toBe(2);
    expect(repeated.stderr).toMatch(/--flags was given more than once/);
  });

  it("rejects a --qemu-path that is relative, a list, missing or a file, naming it, with exit 2", async () => {
    for (const [path, message] of [
      ["usr/bin", "must be absolute"],
      ["/usr/bin:/bin", "one folder is expected"],
      [join(work, "missing"), "no such folder"],
      ["/usr/bin/qemu-aarch64-static", "not a folder"],
    ] as const) {
      const run = await qus(["ensure", "--platforms", "arm64", "--qemu-path", path]);
      expect(run.exitCode, path).toBe(2);
      expect(run.stderr).toContain(JSON.stringify(path));
      expect(run.stderr).toContain(message);
    }
  });
});

describe("diagnoses that name the real cause", () => {
  const RISCV64 =
    ":qemu-riscv64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xf3\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:";

  it("an F entry whose interpreter is dynamically linked", async () => {
    registerRaw(`${RISCV64}${join(work, "dynamic-interpreter")}:F`);
    const { run, report } = await qusJson(["verify", "--platforms", "riscv64"]);
    expect(run.exitCode).toBe(1);
    expect(report.platforms[0]?.failure).toBe("interpreter-unreachable");
    expect(report.platforms[0]?.verification).toMatch(/dynamically linked/);
    expect(report.platforms[0]?.verification).not.toMatch(/without the F flag/);
  });

  it("an interpreter that is a shell script", async () => {
    const script = join(work, "qemu-riscv64-wrapper");
    writeFileSync(script, '#!/bin/sh\nexec /usr/bin/qemu-riscv64-static "$@"\n', { mode: 0o755 });
    registerRaw(`${RISCV64}${script}:F`);
    const { run, report } = await qusJson(["verify", "--platforms", "riscv64"]);
    expect(run.exitCode).toBe(1);
    expect(report.platforms[0]?.verification).toMatch(/is a script/);
    expect(report.platforms[0]?.verification).not.toMatch(/no binfmt_misc handler/);
  });
});

describe("qus persist", () => {
  it("never overwrites a file it did not write", async () => {
    expect((await qus(["ensure", "--platforms", "arm64"])).exitCode).toBe(0);
    const dir = mkdtempSync(join(work, "binfmt.d-"));
    writeFileSync(join(dir, "qemu-aarch64.conf"), ":qemu-aarch64:the administrator's own line\n");
    const { run, report } = await qusJson(["persist", "--dir", dir]);
    expect(run.exitCode).toBe(1);
    expect(report.platforms[0]?.error?.code).toBe("QUS_PERSIST_CONFLICT");
    expect(readFileSync(join(dir, "qemu-aarch64.conf"), "utf8")).toContain("the administrator's own line");
  });

  it("persists only entries that verify and whose interpreter path still holds that emulator", async () => {
    const dir = mkdtempSync(join(work, "binfmt.d-"));
    const qemuDir = mkdtempSync(join(work, "qemu-"));
    copyFileSync("/usr/bin/qemu-aarch64-static", join(qemuDir, "qemu-aarch64-static"));
    expect((await qus(["ensure", "--platforms", "arm64", "--qemu-path", qemuDir])).exitCode).toBe(0);
    expect((await qus(["ensure", "--platforms", "riscv64", "--flags", "C"])).exitCode).toBe(1);
    // The kernel keeps the F entry's file open: it still verifies, but at boot the path would load s390x's QEMU.
    rmSync(join(qemuDir, "qemu-aarch64-static"));
    copyFileSync("/usr/bin/qemu-s390x-static", join(qemuDir, "qemu-aarch64-static"));
    const { run, report } = await qusJson(["persist", "--dir", dir, "--platforms", "arm64,riscv64"]);
    expect(run.exitCode).toBe(1);
    expect(report.platforms.map((p) => p.error?.code)).toEqual(["QUS_PERSIST_FAILED", "QUS_PERSIST_FAILED"]);
    expect(report.platforms[0]?.error?.message).toMatch(/is qemu-s390x, not qemu-aarch64/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("as a user who is not root, exits 3 when it cannot write /etc/binfmt.d", async () => {
    expect((await qus(["ensure", "--platforms", "arm64"])).exitCode).toBe(0);
    const run = await qus(["persist", "--platforms", "arm64"], { uid: 65534 });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/QUS_NOT_ROOT/);
  });
});
