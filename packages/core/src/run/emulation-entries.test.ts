import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isQusError } from "../errors.js";
import { buildProbe } from "../probe/index.js";
import { emulationEntries, hasSubordinateIds } from "./emulation-entries.js";

describe("emulationEntries", () => {
  const dir = mkdtempSync(join(tmpdir(), "qus-run-entries-"));
  // A stand-in interpreter: only its name and x bit matter here.
  for (const name of ["qemu-aarch64-static", "qemu-i386-static"]) writeFileSync(join(dir, name), "", { mode: 0o755 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("registers each with F and core's magic, its probe beside it; the host's own cpu is left out", () => {
    const entries = emulationEntries("linux/arm64,linux/amd64", [dir], "x86_64");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ name: "qemu-aarch64", maybeNative: false });
    expect(entries[0]?.register).toMatch(/^:qemu-aarch64:M::\\x7f\\x45\\x4c\\x46.*:.*qemu-aarch64-static:F$/);
    expect(entries[0]?.probe).toEqual(buildProbe("aarch64"));
  });

  it("marks the host's compat modes (i386 on x86_64) to be tried natively first", () => {
    expect(emulationEntries("linux/386", [dir], "x86_64")[0]).toMatchObject({ name: "qemu-i386", maybeNative: true });
  });

  it("a platform with no interpreter: QUS_INTERPRETER_MISSING naming it, the folders and --qemu-from", () => {
    try {
      emulationEntries("riscv64", [dir], "x86_64");
      expect.unreachable();
    } catch (error) {
      expect(isQusError(error) && error.code).toBe("QUS_INTERPRETER_MISSING");
      expect((error as Error).message).toContain(`qemu-riscv64-static or qemu-riscv64 for linux/riscv64 in ${dir}`);
      expect(isQusError(error) && error.hint).toContain("--qemu-from debian:trixie");
    }
  });

  it("an unknown platform is the user's input", () => {
    expect(() => emulationEntries("linux/vax", [dir], "x86_64")).toThrow(/vax/);
  });
});

describe("hasSubordinateIds", () => {
  const files: Record<string, string> = {
    "/etc/subuid": "other:200000:65536\nqus:100000:65536\n",
    "/etc/subgid": "1001:100000:65536\n",
  };
  const tools = (path: string) => path === "/usr/bin/newuidmap" || path === "/usr/bin/newgidmap";
  const user = { name: "qus", uid: 1001 };

  it("needs the user (by name or uid) in both files, and newuidmap and newgidmap", () => {
    expect(hasSubordinateIds((path) => files[path], user, ["/usr/bin"], tools)).toBe(true);
    expect(
      hasSubordinateIds(
        (path) => files[path],
        user,
        ["/usr/bin"],
        () => false,
      ),
    ).toBe(false);
    expect(hasSubordinateIds((path) => files[path], { name: "x", uid: 7 }, ["/usr/bin"], tools)).toBe(false);
    expect(hasSubordinateIds(() => undefined, user, ["/usr/bin"], tools)).toBe(false);
  });
});
