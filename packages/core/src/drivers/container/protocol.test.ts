import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toHex } from "../../binfmt/escape.js";
import { parseHelperOutput } from "./protocol.js";

// Recorded from the real helper (qus's installer image from qus image build, on docker 20.10, x86_64): see the fixture's `# source:` line.
const RECORDED = readFileSync(new URL("../../../test-fixtures/container/helper-inspect.txt", import.meta.url), "utf8");

describe("parseHelperOutput on recorded helper output (qus's installer image, read-only inspect)", () => {
  const report = parseHelperOutput(RECORDED);

  it("reaches the end, mounted in its own namespace, with the kernel release", () => {
    expect(report.complete).toBe(true);
    expect(report.mounted).toBe(true);
    expect(report.mountError).toBeUndefined();
    expect(report.kernel).toBe("6.18.44-fc-v669");
    expect(report.ops).toEqual([]);
  });

  it("reads the host header: the first 64 bytes of the image's x86_64 busybox", () => {
    expect(report.hostHeader?.length).toBe(64);
    const hex = toHex(report.hostHeader ?? new Uint8Array());
    expect(hex.startsWith("7f454c46020101")).toBe(true); // ELF, 64-bit, little-endian
    expect(hex.slice(36, 40)).toBe("3e00"); // e_machine EM_X86_64
  });

  it("reads the five entries, each with its interpreter, flags, magic and mask", () => {
    expect(report.entries.map((entry) => entry.name)).toEqual([
      "qemu-aarch64",
      "qemu-arm",
      "qemu-ppc64le",
      "qemu-riscv64",
      "qemu-s390x",
    ]);
    for (const entry of report.entries) {
      expect(entry.enabled).toBe(true);
      expect(entry.flags).toBe("OCF");
      expect(entry.offset).toBe(0);
      expect(entry.interpreter).toBe(`/usr/bin/${entry.name}-static`);
      expect(entry.magic?.length).toBe(20);
      expect(entry.mask?.length).toBe(20);
    }
    const aarch64 = report.entries[0];
    expect(toHex(aarch64?.magic ?? new Uint8Array())).toBe("7f454c460201010000000000000000000200b700");
    expect(toHex(aarch64?.mask ?? new Uint8Array())).toBe("ffffffffffffff00fffffffffffffffffeffffff");
  });

  it("reads the interpreter found and its version", () => {
    expect([...report.interpreters]).toEqual([["aarch64", "/usr/bin/qemu-aarch64-static"]]);
    expect([...report.versions]).toEqual([
      ["/usr/bin/qemu-aarch64-static", "qemu-aarch64 version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"],
    ]);
  });

  it("reads the probe: its one chrooted run exits 0, no message", () => {
    expect([...report.probes]).toEqual([["aarch64", { chroot: 0, message: "" }]]);
  });
});

describe("parseHelperOutput on hand-written lines", () => {
  it("mount-failed: the error, not complete (the helper stops there)", () => {
    const report = parseHelperOutput("mount-failed mount: permission denied (are you root?) \n");
    expect(report.mountError).toBe("mount: permission denied (are you root?)");
    expect(report.mounted).toBe(false);
    expect(report.complete).toBe(false);
    expect(report.entries).toEqual([]);
  });

  it("mount-failed with no error text still counts as a mount failure", () => {
    const report = parseHelperOutput("mount-failed \n");
    expect(report.mountError).toBe("no error message");
    expect(report.complete).toBe(false);
  });

  it("binfmt_misc already mounted: no `mounted` line", () => {
    const report = parseHelperOutput("kernel 6.1.0\ndone\n");
    expect(report.mounted).toBe(false);
    expect(report.mountError).toBeUndefined();
    expect(report.complete).toBe(true);
  });

  it("op lines: kind, name, ok, and the kernel's message of a failed write", () => {
    const report = parseHelperOutput(
      [
        "op remove qemu-arm ok",
        "op enable qemu-riscv64 failed sh: write error: Operation not permitted ",
        "op register qemu-aarch64 failed sh: write error: File exists ",
        "op register qemu-s390x ok",
        "op rename qemu-x ok", // not an op qus knows: ignored
        "done",
      ].join("\n"),
    );
    expect(report.ops).toEqual([
      { kind: "remove", name: "qemu-arm", ok: true, message: "" },
      { kind: "enable", name: "qemu-riscv64", ok: false, message: "sh: write error: Operation not permitted" },
      { kind: "register", name: "qemu-aarch64", ok: false, message: "sh: write error: File exists" },
      { kind: "register", name: "qemu-s390x", ok: true, message: "" },
    ]);
  });

  it("a probe that found no handler, and one killed by a signal", () => {
    const report = parseHelperOutput(
      "probe riscv64 99 \nprobe s390x 139 qemu: uncaught target signal 11 (Segmentation fault) \n",
    );
    expect(report.probes.get("riscv64")).toEqual({ chroot: 99, message: "" });
    expect(report.probes.get("s390x")).toEqual({
      chroot: 139,
      message: "qemu: uncaught target signal 11 (Segmentation fault)",
    });
  });

  it("a probe killed at its bound: `timeout` instead of a status; malformed probe lines are dropped", () => {
    const report = parseHelperOutput(
      [
        "probe s390x timeout",
        "probe riscv64 2 sh: 0 not found",
        "probe mips64el NaN",
        "probe arm 1e3",
        "probe ppc64le",
        "done",
      ].join("\n"),
    );
    expect([...report.probes]).toEqual([
      ["s390x", { chroot: "timeout", message: "" }],
      ["riscv64", { chroot: 2, message: "sh: 0 not found" }],
    ]);
  });

  it("the host header as od prints it, in pairs separated by spaces and lines", () => {
    const report = parseHelperOutput("host-header 7f 45 4c 46 02 01\n");
    expect(toHex(report.hostHeader ?? new Uint8Array())).toBe("7f454c460201");
    expect(parseHelperOutput("host-header 7f 4\n").hostHeader).toBeUndefined();
  });

  it("a probe and a version printed after the table (probes write files while the table is listed)", () => {
    const report = parseHelperOutput(
      ["entry qemu-arm", "| enabled", "probe arm 0 ", "version /usr/bin/qemu-arm qemu-arm version 7.2.22", "done"].join(
        "\n",
      ),
    );
    expect(report.entries[0]).toMatchObject({ name: "qemu-arm", enabled: true });
    expect(report.probes.get("arm")).toEqual({ chroot: 0, message: "" });
    expect(report.versions.get("/usr/bin/qemu-arm")).toBe("qemu-arm version 7.2.22");
  });

  it("fatal: why the helper could not start its work", () => {
    const report = parseHelperOutput("fatal this busybox has no timeout applet\n");
    expect(report.fatal).toBe("this busybox has no timeout applet");
    expect(report.complete).toBe(false);
  });

  it("a disabled entry, an entry with empty flags, and a cut-off run", () => {
    const report = parseHelperOutput(
      [
        "kernel 6.1.0",
        "entry qemu-arm",
        "| disabled",
        "| interpreter /usr/bin/qemu-arm-static",
        "| flags: ",
        "| offset 0",
        "| magic 7f454c4601010100000000000000000002002800",
        "| mask ffffffffffffff00fffffffffffffffffeffffff",
        "version /usr/bin/qemu-arm ", // no version text: not recorded
        "host-header xyz", // not hex: ignored
      ].join("\n"),
    );
    expect(report.entries).toHaveLength(1);
    expect(report.entries[0]).toMatchObject({ name: "qemu-arm", enabled: false, flags: "" });
    expect(report.versions.size).toBe(0);
    expect(report.hostHeader).toBeUndefined();
    expect(report.complete).toBe(false);
  });
});
