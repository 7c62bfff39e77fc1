import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { execProcess } from "../exec.js";
import { extractStaticEmulators } from "./extract.js";

// Real .deb files built here with dpkg-deb: one shaped as Debian's, and one whose usr/bin is a link out of it.
const dir = mkdtempSync(join(tmpdir(), "qus-extract-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function deb(name: string, fill: (root: string) => void): string {
  const root = join(dir, name);
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  writeFileSync(
    join(root, "DEBIAN", "control"),
    `Package: ${name}\nVersion: 1\nArchitecture: amd64\nMaintainer: qus tests <tests@example.org>\nDescription: test\n`,
  );
  fill(root);
  const file = join(dir, `${name}.deb`);
  // Uncompressed: xz of a 4 MB emulator costs seconds on a busy 2-core machine, and compression is not under test.
  execFileSync("dpkg-deb", ["--root-owner-group", "-Znone", "--build", root, file], { stdio: "ignore" });
  return file;
}

// Each test runs dpkg-deb twice: a generous ceiling on a busy machine, as fetch.test.ts has, not a timing assertion.
describe("extractStaticEmulators (real dpkg-deb)", { timeout: 60_000 }, () => {
  it("moves the static emulators out of a package shaped as Debian's", async () => {
    const file = deb("good", (root) => {
      mkdirSync(join(root, "usr", "bin"), { recursive: true });
      copyFileSync("/usr/bin/qemu-riscv64-static", join(root, "usr", "bin", "qemu-riscv64"));
    });
    const out = join(dir, "good-out");
    expect(await extractStaticEmulators(execProcess, file, join(dir, "good-scratch"), out)).toEqual([
      "qemu-riscv64-static",
    ]);
    expect(existsSync(join(out, "qemu-riscv64-static"))).toBe(true);
  });

  it("a package whose usr/bin links out of it: refused, and nothing outside is touched", async () => {
    const outside = join(dir, "outside-bin");
    mkdirSync(outside);
    copyFileSync("/usr/bin/qemu-riscv64-static", join(outside, "qemu-riscv64-static"));
    const file = deb("linked", (root) => {
      mkdirSync(join(root, "usr"));
      symlinkSync(outside, join(root, "usr", "bin"));
    });
    await expect(
      extractStaticEmulators(execProcess, file, join(dir, "linked-scratch"), join(dir, "linked-out")),
    ).rejects.toMatchObject({ code: "QUS_QEMU_FETCH_FAILED", message: expect.stringMatching(/usr\/bin as a link/) });
    expect(existsSync(join(outside, "qemu-riscv64-static"))).toBe(true);
    expect(existsSync(join(dir, "linked-out"))).toBe(false);
  });
});
