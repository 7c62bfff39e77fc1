import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { elfFile } from "../test-support.js";
import { readElfFile } from "./read-file.js";

// Files built to break the reader: each must end in a clear error naming the file, at once, without a big buffer.
const dir = mkdtempSync(join(tmpdir(), "qus-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A 64-bit little-endian arm64 program with a loader, then `edit` on its bytes. */
function edited(name: string, edit: (view: DataView) => void): string {
  const bytes = elfFile({ bits: 64, little: true, machine: 183, interpreter: "/lib/ld-linux-aarch64.so.1" });
  edit(new DataView(bytes.buffer));
  return write(name, bytes);
}
const PT_INTERP_ENTRY = 64 + 56;

describe("readElfFile on hostile files", () => {
  it("a FIFO is refused without opening it (an open would block for ever)", () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(() => readElfFile(fifo)).toThrow(
      expect.objectContaining({
        code: "QUS_FILE_UNREADABLE",
        message: `${fifo}: is not a regular file (a pipe, socket or device)`,
      }),
    );
  });

  it("a device is refused the same way", () => {
    expect(() => readElfFile("/dev/zero")).toThrow(expect.objectContaining({ code: "QUS_FILE_UNREADABLE" }));
  });

  it("program headers said to be at 2^60: truncated, not a crash", () => {
    const path = edited("far-phoff", (view) => view.setBigUint64(32, 1n << 60n, true));
    expect(() => readElfFile(path)).toThrow(expect.objectContaining({ code: "QUS_ELF_TRUNCATED" }));
  });

  it("huge program header entries (65535 × 4096 bytes asked of a small file): refused before any big read", () => {
    const path = edited("huge-ph", (view) => {
      view.setUint16(54, 65535, true);
      view.setUint16(56, 4096, true);
    });
    expect(() => readElfFile(path)).toThrow(expect.objectContaining({ code: "QUS_ELF_TRUNCATED" }));
  });

  it("a loader name far past the end, or of 0 bytes: refused as the kernel refuses it", () => {
    const far = edited("far-interp", (view) => view.setBigUint64(PT_INTERP_ENTRY + 8, 0xffffffffffffff00n, true));
    expect(() => readElfFile(far)).toThrow(expect.objectContaining({ code: "QUS_ELF_TRUNCATED" }));
    const empty = edited("empty-interp", (view) => view.setBigUint64(PT_INTERP_ENTRY + 32, 0n, true));
    expect(() => readElfFile(empty)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/PT_INTERP of 0 bytes/) }),
    );
  });

  it("a loader name with a newline and a terminal escape is shown escaped, never raw", () => {
    const bytes = elfFile({ bits: 64, little: true, machine: 183, interpreter: "/lib/ld\n\u001b[2Jx.so" });
    const path = write("escapes", bytes);
    expect(readElfFile(path).elf.interpreter).toBe("/lib/ld\\x0a\\x1b[2Jx.so");
  });

  it("the untouched program reads as dynamic with its loader (the edits above are what break it)", () => {
    const path = edited("fine", () => {});
    expect(readElfFile(path).elf).toMatchObject({ linkage: "dynamic", interpreter: "/lib/ld-linux-aarch64.so.1" });
  });
});
