import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  BINFMT,
  disableRaw,
  entryNames,
  type JsonReport,
  qusJson,
  RISCV64_MAGIC,
  RISCV64_MASK,
  readEntryText,
  registerRaw,
  registerStaleRiscv64,
  useCleanQemuTable,
} from "./support/kernel.js";

// Half-broken kernel interfaces and entries that are not qus's, against this machine's real kernel (issue 25). A
// read-only binfmt_misc is a read-only bind of the real one in a private mount namespace (`unshare -m`): the host's
// mount stays read-write. Everything registered here is removed again.
const QUS_BIN = fileURLToPath(new URL("../packages/cli/bin/qus.js", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "qus-kernel-policy-"));

useCleanQemuTable();
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Debian 12's own registration of qemu-aarch64 (/usr/lib/binfmt.d/qemu-aarch64.conf), as systemd-binfmt writes it. */
const DEBIAN_AARCH64 =
  ":qemu-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OPF";

/** Registers riscv64 as qus would, with the interpreter and flags given. */
function registerRiscv64(interpreter: string, flags: string): void {
  registerRaw(`:qemu-riscv64:M::${RISCV64_MAGIC}:${RISCV64_MASK}:${interpreter}:${flags}`);
}

/** Runs `qus ARGS --json` in a private mount namespace where binfmt_misc is a read-only bind of the real one. */
function qusReadOnly(
  args: readonly string[],
): Promise<{ exitCode: number | null; report: JsonReport; stderr: string }> {
  const script = `mount --bind ${BINFMT} ${BINFMT} && mount -o remount,bind,ro ${BINFMT} && exec "$@"`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      "unshare",
      ["-m", "--propagation", "private", "sh", "-c", script, "sh", process.execPath, QUS_BIN, ...args, "--json"],
      { env: { ...process.env, NO_COLOR: "1" } },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (exitCode) => {
      try {
        resolve({ exitCode, report: JSON.parse(stdout) as JsonReport, stderr });
      } catch {
        reject(new Error(`qus ${args.join(" ")} printed no JSON (exit ${exitCode}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

describe("a read-only binfmt_misc (a read-only bind in a private mount namespace)", () => {
  it("ensure: exit 3, QUS_BINFMT_READONLY naming the read-only mount point and where qus can write", async () => {
    const { exitCode, report } = await qusReadOnly(["ensure", "--platforms", "riscv64"]);
    expect(exitCode).toBe(3);
    const [platform] = report.platforms;
    expect(platform?.error?.code).toBe("QUS_BINFMT_READONLY");
    expect(platform?.error?.message).toContain(`${BINFMT} is mounted read-only`);
    expect(platform?.error?.message).not.toMatch(/dmesg/);
    expect(platform?.hint).toMatch(/read-write as root on the host/);
    expect(platform?.hint).toMatch(/--driver docker/);
    // The host's table: nothing registered, and its mount still read-write.
    expect(entryNames()).not.toContain("qemu-riscv64");
  });

  it("remove and enable: the same error for writes to an entry's own file, and the entry stays as it was", async () => {
    registerRiscv64("/usr/bin/qemu-riscv64-static", "FC");
    const removal = await qusReadOnly(["remove", "--platforms", "riscv64"]);
    expect(removal.exitCode).toBe(3);
    expect(removal.report.platforms[0]?.error?.code).toBe("QUS_BINFMT_READONLY");
    expect(removal.report.platforms[0]?.error?.message).toContain("remove qemu-riscv64");
    expect(readEntryText("qemu-riscv64")).toMatch(/^enabled/);

    // Disabled, and otherwise as qus wants it: ensure enables it by writing 1 to its file.
    disableRaw("qemu-riscv64");
    const enabling = await qusReadOnly(["ensure", "--platforms", "riscv64"]);
    expect(enabling.exitCode).toBe(3);
    expect(enabling.report.platforms[0]).toMatchObject({ action: "enable", error: { code: "QUS_BINFMT_READONLY" } });
    expect(enabling.report.platforms[0]?.error?.message).toContain("enable qemu-riscv64");
    expect(readEntryText("qemu-riscv64")).toMatch(/^disabled/);
  });
});

describe("status on an entry whose interpreter file is gone", () => {
  it("without F: not ok, interpreter-unreachable, with the fix; verify agrees", async () => {
    registerStaleRiscv64("qemu-riscv64");
    const { run, report } = await qusJson(["status", "--platforms", "riscv64"]);
    expect(report.platforms[0]).toMatchObject({ ok: false, failure: "interpreter-unreachable", verified: null });
    expect(report.platforms[0]?.verification).toMatch(/\/nonexistent\/qemu-riscv64 of qemu-riscv64 does not exist/);
    expect(report.platforms[0]?.hint).toContain("qus ensure --replace --platforms linux/riscv64");
    expect(run.exitCode).toBe(1);
    const verified = await qusJson(["verify", "--platforms", "riscv64"]);
    expect(verified.report.platforms[0]).toMatchObject({ ok: false, verified: false });
  });

  it("with F: the kernel holds the file open, so it still runs and status stays ok", async () => {
    const copy = join(work, "qemu-riscv64-static");
    copyFileSync("/usr/bin/qemu-riscv64-static", copy);
    registerRiscv64(copy, "F");
    rmSync(copy);
    const { run, report } = await qusJson(["status", "--platforms", "riscv64"]);
    expect(report.platforms[0]).toMatchObject({ ok: true, verified: null });
    expect(report.platforms[0]?.failure).toBeUndefined();
    expect(run.exitCode).toBe(0);
    const verified = await qusJson(["verify", "--platforms", "riscv64"]);
    expect(verified.report.platforms[0]).toMatchObject({ ok: true, verified: true });
  });
});

describe("remove and ensure agree on whose an entry of qus's name is", () => {
  it("Debian's qemu-aarch64: a conflict for ensure, left in place by remove (exit 1) with how to remove it", async () => {
    registerRaw(DEBIAN_AARCH64);
    const ensured = await qusJson(["ensure", "--platforms", "arm64"]);
    expect(ensured.report.platforms[0]?.action).toBe("conflict");
    expect(ensured.report.platforms[0]?.reasons[0]).toMatch(/^qemu-aarch64 is not qus's/);

    const { run, report } = await qusJson(["remove", "--platforms", "arm64"]);
    expect(run.exitCode).toBe(1);
    expect(report.platforms[0]).toMatchObject({ action: "conflict", after: "enabled", ok: false });
    expect(report.platforms[0]?.hint).toContain("echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64");
    expect(readEntryText("qemu-aarch64")).toContain("/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
  });

  it("qus's own entry, registered by ensure, is removed (exit 0)", async () => {
    expect((await qusJson(["ensure", "--platforms", "arm64"])).report.ok).toBe(true);
    const { run, report } = await qusJson(["remove", "--platforms", "arm64"]);
    expect(run.exitCode).toBe(0);
    expect(report.platforms[0]).toMatchObject({ action: "remove", after: "absent", ok: true });
    expect(entryNames()).not.toContain("qemu-aarch64");
  });
});
