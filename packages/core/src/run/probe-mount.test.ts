import { describe, expect, it } from "vitest";
import { probeMountPoint } from "./probe-mount.js";

describe("probeMountPoint: the tmpfs never hides an interpreter the kernel must open", () => {
  const all = () => true;
  const self = (path: string) => path;

  it("is /tmp when no interpreter is under it", () => {
    expect(probeMountPoint(["/usr/bin/qemu-aarch64-static"], all, self)).toBe("/tmp");
    expect(probeMountPoint([], all, self)).toBe("/tmp");
  });

  it("passes over /tmp when QEMU is there (--qemu-path /tmp/q, a HOME under /tmp), by path or by link", () => {
    expect(probeMountPoint(["/usr/bin/qemu-aarch64-static", "/tmp/q/qemu-riscv64-static"], all, self)).toBe("/dev/shm");
    const linked = (path: string) => (path === "/usr/local/bin/qemu-s390x" ? "/tmp/qemu/qemu-s390x" : path);
    expect(probeMountPoint(["/usr/local/bin/qemu-s390x"], all, linked)).toBe("/dev/shm");
    expect(probeMountPoint(["/tmpfoo/qemu-s390x"], all, self)).toBe("/tmp");
  });

  it("takes only folders that are there", () => {
    expect(probeMountPoint(["/tmp/q/qemu-arm"], (path) => path === "/tmp" || path === "/run", self)).toBe("/run");
  });

  it("says so, naming what to do, when every folder holds one", () => {
    expect(() => probeMountPoint(["/tmp/a", "/dev/shm/b", "/mnt/c", "/run/d"], all, self)).toThrow(
      expect.objectContaining({ code: "QUS_TMPDIR_UNUSABLE", hint: expect.stringContaining("--qemu-path") }),
    );
  });
});
