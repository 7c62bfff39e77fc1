import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { decodeEscaped, toHex } from "../binfmt/escape.js";
import { NO_HANDLER_STATUS } from "../drivers/probe-verdict.js";
import { buildExitProgram, buildProbe } from "../probe/index.js";
import { requireTarget } from "../targets.js";
import { installerFiles } from "./installer-files.js";
import {
  INSTALLER_COMPAT,
  INSTALLER_MARKER_STATUS,
  INSTALLER_NATIVE,
  INSTALLER_PATH,
  INSTALLER_SCRIPT,
  INSTALLER_TABLE,
} from "./installer-script.js";

const EMULATORS = ["qemu-aarch64-static", "qemu-riscv64-static", "qemu-i386-static", "qemu-x86_64-static"];
const fileAt = (files: ReturnType<typeof installerFiles>, path: string) =>
  files.find((file) => file.path === path)?.content;

describe("the installer image's files (qus-binfmt, its table, its probes)", () => {
  const files = installerFiles("x86_64", EMULATORS);
  const table = String(fileAt(files, INSTALLER_TABLE)).trimEnd().split("\n");

  it("one table line per target with an emulator in the image, never the image's own architecture", () => {
    const cpus = table.map((line) => line.split(" ")[0]);
    expect(cpus).toEqual(expect.arrayContaining(["aarch64", "riscv64", "i386"]));
    expect(cpus).not.toContain("x86_64");
    expect(cpus).not.toContain("s390x");
    expect(String(fileAt(files, INSTALLER_NATIVE))).toMatch(/^linux\/amd64 \S*\bamd64\b/);
  });

  it("a line: cpu, entry, binfmt's arch name, platform, every name, QEMU's emulator, and the register string with F", () => {
    const line = table.find((candidate) => candidate.startsWith("aarch64 "))?.split(" ") ?? [];
    expect(line.slice(0, 4)).toEqual(["aarch64", "qemu-aarch64", "arm64", "linux/arm64"]);
    expect(line[4]?.split(",")).toEqual(expect.arrayContaining(["aarch64", "qemu-aarch64", "arm64", "linux/arm64"]));
    expect(line[5]).toBe("qemu-aarch64");
    const register = line[6]?.split(":") ?? [];
    expect(register.slice(1, 4)).toEqual(["qemu-aarch64", "M", ""]);
    expect(toHex(decodeEscaped(register[4] ?? ""))).toBe(toHex(decodeEscaped(requireTarget("aarch64").magic)));
    expect(register[6]).toBe("/usr/bin/qemu-aarch64-static");
    expect(register[7]).toContain("F");
    expect(line).toHaveLength(7);
  });

  it("a variant runs on its base cpu's emulator (i486 on qemu-i386), as QEMU's script registers it", () => {
    const i486 = table.find((candidate) => candidate.startsWith("i486 "));
    if (requireTarget("i486").interpreterCpu === undefined) return;
    expect(i486?.split(" ")[5]).toBe("qemu-i386");
    expect(i486?.split(" ")[6]?.split(":")[6]).toBe("/usr/bin/qemu-i386-static");
  });

  it("a chroot for the probes whose /bin/sh is a marker of the image's own machine, and the compat targets listed", () => {
    const marker = files.find((file) => file.path === "/usr/share/qus/root/bin/sh");
    expect(toHex(marker?.content as Uint8Array)).toBe(toHex(buildExitProgram("x86_64", INSTALLER_MARKER_STATUS)));
    // One probe-status convention: the image's marker says "exec format error" as core's stand-in shell does.
    expect(INSTALLER_MARKER_STATUS).toBe(NO_HANDLER_STATUS);
    expect(String(fileAt(files, INSTALLER_COMPAT)).trim().split("\n")).toEqual(["i386", "i486"]);
  });

  it("qus's probe for each target, executable", () => {
    const probe = files.find((file) => file.path.endsWith("/probes/riscv64"));
    expect(probe?.mode).toBe(0o755);
    expect(toHex(probe?.content as Uint8Array)).toBe(toHex(buildProbe("riscv64")));
    expect(files.find((file) => file.path === INSTALLER_PATH)?.mode).toBe(0o755);
  });

  it("the script is valid sh (checked by this machine's sh -n)", () => {
    const check = spawnSync("sh", ["-n"], { input: INSTALLER_SCRIPT, encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });
});
