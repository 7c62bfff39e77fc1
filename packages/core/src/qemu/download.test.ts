import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { downloadFile, type Fetch } from "./download.js";

// A stand-in for the network (a Response built here): what is checked is what qus does with the bytes and the disk.
const respond =
  (body: string): Fetch =>
  async () =>
    new Response(body);
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("downloadFile (stand-in network)", () => {
  it("writes the body and returns its SHA256", async () => {
    dir = mkdtempSync(join(tmpdir(), "qus-download-"));
    const file = join(dir, "out");
    const sha = await downloadFile("http://mirror/x", file, { timeoutMs: 5000, maxBytes: 100 }, respond("hello"));
    expect(sha).toBe("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    expect(readFileSync(file, "utf8")).toBe("hello");
  });

  it("more bytes than the index said: stopped, QUS_QEMU_FETCH_FAILED", async () => {
    dir = mkdtempSync(join(tmpdir(), "qus-download-"));
    await expect(
      downloadFile("http://mirror/x", join(dir, "out"), { timeoutMs: 5000, maxBytes: 3 }, respond("hello")),
    ).rejects.toMatchObject({ code: "QUS_QEMU_FETCH_FAILED", message: expect.stringMatching(/more than the 3 bytes/) });
  });

  it("a file it cannot write (its folder gone): QUS_QEMU_CACHE_UNWRITABLE at once, never a hang or a crash", async () => {
    dir = mkdtempSync(join(tmpdir(), "qus-download-"));
    const file = join(dir, "missing", "out");
    await expect(
      downloadFile("http://mirror/x", file, { timeoutMs: 60_000, maxBytes: 100 }, respond("hello")),
    ).rejects.toMatchObject({ code: "QUS_QEMU_CACHE_UNWRITABLE", message: `cannot write ${file}: ENOENT` });
  });
});
