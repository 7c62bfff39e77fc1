import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { membersOfFolder, tarOf } from "./tar.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "qus-tar-test-"));
  made.push(dir);
  return dir;
}

/** Extracts an archive with GNU tar, the reader it must satisfy; throws with tar's words when it refuses. */
function extract(archive: Buffer): string {
  const dir = tempDir();
  const result = spawnSync("tar", ["-x", "-f", "-", "-C", dir], { input: archive });
  if (result.status !== 0) throw new Error(`tar refused the archive: ${result.stderr}`);
  return dir;
}

describe("tarOf: archives GNU tar reads back as written", () => {
  it("a program with its mode, as runProgram copies it in", () => {
    const program = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]);
    const dir = extract(tarOf([{ path: "qus-program", type: "file", data: program, mode: 0o755 }]));
    expect([...readFileSync(join(dir, "qus-program"))]).toEqual([...program]);
    expect(statSync(join(dir, "qus-program")).mode & 0o777).toBe(0o755);
  });

  it("a folder with nested files, links, an empty file and a path past 100 bytes", () => {
    const source = tempDir();
    const deep = join("usr", "lib", "a".repeat(60), "b".repeat(30));
    mkdirSync(join(source, deep), { recursive: true });
    writeFileSync(join(source, "Dockerfile"), "FROM scratch\nCOPY rootfs/ /\n");
    writeFileSync(join(source, deep, `${"c".repeat(20)}.conf`), "x".repeat(1000), { mode: 0o644 });
    writeFileSync(join(source, "empty"), "");
    symlinkSync("busybox", join(source, "sh"));
    const dir = extract(tarOf(membersOfFolder(source)));
    expect(readFileSync(join(dir, "Dockerfile"), "utf8")).toBe("FROM scratch\nCOPY rootfs/ /\n");
    expect(readFileSync(join(dir, deep, `${"c".repeat(20)}.conf`), "utf8")).toBe("x".repeat(1000));
    expect(readFileSync(join(dir, "empty"), "utf8")).toBe("");
    expect(readlinkSync(join(dir, "sh"))).toBe("busybox");
  });

  it("the same folder gives the same bytes (fixed owner and time)", () => {
    const source = tempDir();
    writeFileSync(join(source, "f"), "same");
    expect(tarOf(membersOfFolder(source)).equals(tarOf(membersOfFolder(source)))).toBe(true);
  });

  it("a path no ustar header can hold is refused with the path named", () => {
    expect(() => tarOf([{ path: "x".repeat(300), type: "file", data: new Uint8Array(), mode: 0o644 }])).toThrow(
      /cannot put x+ in a tar archive: the path is too long/,
    );
  });
});
