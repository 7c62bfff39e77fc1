import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Exec } from "../../exec.js";
import { execResult, target } from "../../test-support.js";
import { NO_HANDLER_STATUS } from "../probe-verdict.js";
import { createLocalDriver } from "./index.js";

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
