import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mountsUnder, removeTree } from "./safe-remove.js";

// Recorded from /proc/self/mountinfo while mmdebstrap built a root in /var/tmp/my vm (a space in the name).
const MOUNTINFO = [
  "22 1 0:21 / / rw,relatime - overlay overlay rw",
  "90 22 0:5 / /var/tmp/my\\040vm/.root.partial-1/root/dev/null rw - devtmpfs udev rw",
  "91 22 0:22 / /var/tmp/my\\040vm/.root.partial-1/root/proc rw - proc proc rw",
  "92 91 0:23 / /var/tmp/my\\040vm/.root.partial-1/root/proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw",
  "93 22 0:24 / /var/tmp/my\\040vm-other/root/proc rw - proc proc rw",
  "94 22 0:25 / /var/tmp/my\\040vm/.root.partial-1 rw - tmpfs tmpfs rw",
].join("\n");

describe("mountsUnder", () => {
  it("lists the mounts at or below a folder, deepest first, with mountinfo's octal escapes decoded", () => {
    expect(mountsUnder("/var/tmp/my vm/.root.partial-1", MOUNTINFO)).toEqual([
      "/var/tmp/my vm/.root.partial-1/root/proc/sys/fs/binfmt_misc",
      "/var/tmp/my vm/.root.partial-1/root/dev/null",
      "/var/tmp/my vm/.root.partial-1/root/proc",
      "/var/tmp/my vm/.root.partial-1",
    ]);
  });

  it("does not take a sibling whose name starts the same for a folder below", () => {
    expect(mountsUnder("/var/tmp/my vm", MOUNTINFO)).not.toContain("/var/tmp/my vm-other/root/proc");
    expect(mountsUnder("/var/tmp/elsewhere", MOUNTINFO)).toEqual([]);
  });
});

describe("removeTree", () => {
  it("removes a folder without mounts, and a folder that is not there", () => {
    const dir = mkdtempSync(join(tmpdir(), "qus-remove-"));
    mkdirSync(join(dir, "a/b"), { recursive: true });
    writeFileSync(join(dir, "a/b/file"), "x");
    removeTree(dir);
    expect(existsSync(dir)).toBe(false);
    expect(() => removeTree(dir)).not.toThrow();
  });
});
