import { existsSync } from "node:fs";
import { TARGETS } from "@qus/core";
import { canonicalPlatform, entryName, interpreterBase } from "@qus/core/toolkit";
import { describe, expect, it } from "vitest";
import { busybox, entryNames, qusJson, readEntryText, runProgram, useCleanQemuTable } from "./support/kernel.js";

// Every QEMU target at once, on this machine's kernel with Debian's qemu-user-static (QEMU 7.2 on Debian 12): what
// `qus ensure --platforms all` does on a fresh machine. Run one at a time (kernel project); the table's qemu-*
// entries are put back afterwards.
useCleanQemuTable();

/** The emulator Debian installs for a target, when this machine has it. */
const debianInterpreter = (target: (typeof TARGETS)[number]) => `/usr/bin/${interpreterBase(target)}-static`;

describe("qus ensure --platforms all on this machine's kernel", () => {
  it("registers and proves every target Debian's qemu-user-static has an emulator for, then removes them all", async () => {
    const withInterpreter = TARGETS.filter((target) => existsSync(debianInterpreter(target)));
    // Debian 12's qemu-user-static has an emulator for each of QEMU's 34 targets (i486 runs under qemu-i386).
    expect(withInterpreter.map((target) => target.cpu)).toEqual(TARGETS.map((target) => target.cpu));

    const { run, report } = await qusJson(["ensure", "--platforms", "all"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(report.platforms.map((p) => p.platform)).toEqual(TARGETS.map(canonicalPlatform));

    // Native: the host's own cpu, and x86's 32-bit compat modes where this kernel runs them (most x86_64 kernels).
    const native = report.platforms.filter((p) => p.after === "native").map((p) => p.cpu);
    expect(native).toContain("x86_64");
    expect(native.every((cpu) => ["x86_64", "i386", "i486"].includes(cpu))).toBe(true);

    const verified = report.platforms.filter((p) => p.after === "enabled" && p.verified === true).map((p) => p.cpu);
    const expected = withInterpreter.map((target) => target.cpu).filter((cpu) => !native.includes(cpu));
    expect(verified.sort()).toEqual([...expected].sort());
    expect(report.platforms.filter((p) => !p.ok)).toEqual([]);

    // Each entry is qemu-<cpu>, served by the emulator QEMU's script names (qemu-i386 for qemu-i486).
    for (const target of TARGETS.filter((candidate) => expected.includes(candidate.cpu))) {
      expect(readEntryText(entryName(target)), entryName(target)).toMatch(
        new RegExp(`^interpreter ${debianInterpreter(target)}$`, "m"),
      );
    }
    expect(entryNames().filter((name) => name.startsWith("qemu-"))).toHaveLength(expected.length);

    // Real Debian programs of the newly listed families run through them (mipsel: Debian 12's last mipsel release).
    expect(runProgram(busybox("mipsel"), ["uname", "-m"])).toMatchObject({ status: 0, stdout: "mips" });

    const removed = await qusJson(["remove", "--platforms", "all"]);
    expect(removed.run.exitCode, removed.run.stderr).toBe(0);
    expect(
      removed.report.platforms
        .filter((p) => p.action === "remove")
        .map((p) => p.cpu)
        .sort(),
    ).toEqual([...expected].sort());
    expect(entryNames().filter((name) => name.startsWith("qemu-"))).toEqual([]);
  }, 300_000);
});
