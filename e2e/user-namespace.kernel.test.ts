import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { entryNames, useCleanQemuTable } from "./support/kernel.js";

// A process in a user namespace of its own (as a Kubernetes pod with hostUsers: false, or rootless containers) may
// mount binfmt_misc on Linux 6.7+ and gets a private, empty table: registering there "works" and the host never sees
// it. `unshare -U -r -m` makes exactly that namespace here, for real.
const QUS_BIN = fileURLToPath(new URL("../packages/cli/bin/qus.js", import.meta.url));

/** Runs qus in a new user and mount namespace (uid 0 inside), after `before` (a shell line) ran there. */
function qusInUserNamespace(before: string, args: readonly string[]) {
  const result = spawnSync(
    "unshare",
    ["-U", "-r", "-m", "sh", "-c", `${before} && exec "$0" "$@"`, process.execPath, QUS_BIN, ...args],
    { encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } },
  );
  return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr };
}

const PRIVATE_MOUNT = "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc";

describe("a binfmt_misc table seen from a user namespace", () => {
  useCleanQemuTable();

  it("a private table (mounted in the namespace): ensure refuses with QUS_PRIVATE_BINFMT, exit 3, and the host gains nothing", () => {
    const before = entryNames();
    const run = qusInUserNamespace(PRIVATE_MOUNT, ["ensure", "--platforms", "linux/arm64,linux/riscv64", "--json"]);
    expect(run.exitCode).toBe(3);
    const report = JSON.parse(run.stdout);
    expect(report.ok).toBe(false);
    for (const platform of report.platforms) {
      expect(platform.ok).toBe(false);
      expect(platform.error.code).toBe("QUS_PRIVATE_BINFMT");
      expect(platform.error.message).toMatch(/uid map 0 0 1\b.*nothing registered here reaches the host/);
    }
    expect(entryNames()).toEqual(before);
  });

  it("the table text says why and what to do, and the private table stays empty", () => {
    const run = spawnSync(
      "unshare",
      [
        "-U",
        "-r",
        "-m",
        "sh",
        "-c",
        `${PRIVATE_MOUNT} && "$0" "$1" ensure --platforms linux/arm64; echo "exit $?"; ls /proc/sys/fs/binfmt_misc`,
        process.execPath,
        QUS_BIN,
      ],
      { encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(run.stdout).toMatch(/^exit 3$/m);
    expect(run.stdout + run.stderr).toMatch(/user namespace/);
    expect(run.stdout + run.stderr).toMatch(/run qus ensure on the host/);
    const listed = run.stdout.slice(run.stdout.indexOf("exit 3")).split(/\s+/).slice(2).filter(Boolean);
    expect(listed.sort()).toEqual(["register", "status"]);
  });

  it("the host's table seen from the namespace (no mount of its own): ensure refuses the same way", () => {
    const run = qusInUserNamespace("true", ["ensure", "--platforms", "linux/s390x", "--json"]);
    expect(run.exitCode).toBe(3);
    expect(JSON.parse(run.stdout).platforms[0].error.code).toBe("QUS_PRIVATE_BINFMT");
    expect(entryNames()).not.toContain("qemu-s390x");
  });

  it("status from the namespace warns that the table may be private, and changes nothing", () => {
    const run = qusInUserNamespace(PRIVATE_MOUNT, ["status", "--platforms", "linux/arm64", "--json"]);
    const report = JSON.parse(run.stdout);
    expect(report.kernel.userNamespace).toBe("uid map 0 0 1");
    expect(report.warnings.join("\n")).toMatch(/user namespace .*may be private/);
  });

  it("on the host itself, nothing of this is said", () => {
    const run = spawnSync(process.execPath, [QUS_BIN, "status", "--platforms", "linux/arm64", "--json"], {
      encoding: "utf8",
    });
    const report = JSON.parse(run.stdout);
    expect(report.kernel.userNamespace).toBeUndefined();
    expect(report.warnings.join("\n")).not.toMatch(/user namespace/);
  });
});
