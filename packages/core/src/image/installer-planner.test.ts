import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requireTarget } from "../targets.js";
import { renderInstallerTable } from "./installer-files.js";
import { INSTALLER_PLANNER } from "./installer-planner.js";

// The planner on the cases README names; installer-planner.property.test.ts holds it to plan() on random tables.

const ARM64 = "magic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n";
const DEBIAN = `enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POC\noffset 0\n${ARM64}`;
const OURS = `enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: OCF\noffset 0\n${ARM64}`;
const work = mkdtempSync(join(tmpdir(), "qus-planner-examples-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Plans aarch64 and i386 for a binfmt_misc folder holding `entries`; the shell's lines. */
function planFor(entries: Record<string, string>, options: { native?: string; replace?: boolean } = {}): string[] {
  const dir = mkdtempSync(join(work, "case-"));
  mkdirSync(join(dir, "binfmt"));
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(dir, "binfmt", name), text);
  const targets = [requireTarget("aarch64"), requireTarget("i386")];
  writeFileSync(
    join(dir, "table"),
    renderInstallerTable(targets, (t) => `/usr/bin/qemu-${t.cpu}-static`),
  );
  const call = `qp_plan "${dir}/binfmt" "${dir}/table" "${options.native ?? ""}" "${options.replace ? 1 : ""}"`;
  const run = spawnSync("sh", ["-c", `set -f\n${INSTALLER_PLANNER}\n${call}`], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  return run.stdout.trimEnd().split("\n");
}

describe("the installer image's planner", () => {
  it("Debian's qemu-aarch64 (another program's, without F) is a conflict, with plan()'s reasons", () => {
    const lines = planFor({ "qemu-aarch64": DEBIAN }, { native: "i386" });
    expect(lines).toEqual([
      "why qemu-aarch64 is not qus's (another program registered it): its interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P is not QEMU's qemu-aarch64-static or qemu-aarch64",
      "why flags POC instead of FC: without F it fails inside containers and chroots",
      "why interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P instead of /usr/bin/qemu-aarch64-static",
      "step aarch64 qemu-aarch64 arm64 conflict - -",
      "why runs natively on this machine",
      "step i386 qemu-i386 386 native - -",
    ]);
  });

  it("with --replace: removes it and registers QEMU's; i386 proven foreign is registered", () => {
    const [aarch64, i386] = planFor({ "qemu-aarch64": DEBIAN }, { replace: true }).filter((line) =>
      line.startsWith("step "),
    );
    expect(aarch64).toMatch(/^step aarch64 qemu-aarch64 arm64 replace - :qemu-aarch64:M::\S+:FC qemu-aarch64$/);
    expect(i386).toMatch(/^step i386 qemu-i386 386 register - :qemu-i386:M::\S+\/usr\/bin\/qemu-i386-static:FC$/);
  });

  it("qus's own entry as wanted is ok; disabled, it is enabled; another entry claiming it is in the way", () => {
    expect(planFor({ "qemu-aarch64": OURS }, { native: "i386" })[0]).toBe("step aarch64 qemu-aarch64 arm64 ok - -");
    const disabled = planFor({ "qemu-aarch64": OURS.replace("enabled", "disabled") }, { native: "i386" });
    expect(disabled.slice(0, 2)).toEqual([
      "why entry is disabled",
      "step aarch64 qemu-aarch64 arm64 enable qemu-aarch64 -",
    ]);
    const tool = OURS.replace("/usr/bin/qemu-aarch64-static", "/opt/tool/aarch64");
    const inTheWay = planFor({ "qemu-aarch64": OURS, "aarch64-tool": tool }, { native: "i386", replace: true });
    expect(inTheWay.slice(0, 2)).toEqual([
      "why entry aarch64-tool (/opt/tool/aarch64) also claims these binaries",
      "step aarch64 qemu-aarch64 arm64 replace - - aarch64-tool",
    ]);
  });
});
