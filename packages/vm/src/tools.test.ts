import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { qusErrorOf } from "./test-support.js";
import { findProgram, requireProgram, TOOL_PACKAGES } from "./tools.js";

const scratch = mkdtempSync(join(tmpdir(), "qus-vm-tools-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const empty = join(scratch, "empty");
mkdirSync(empty);
const bin = join(scratch, "bin");
mkdirSync(bin);
const PROGRAM = "qus-test-program-7f3a";
writeFileSync(join(bin, PROGRAM), "#!/bin/sh\nexit 0\n");
chmodSync(join(bin, PROGRAM), 0o755);
writeFileSync(join(bin, `${PROGRAM}-plain`), "not a program\n");
chmodSync(join(bin, `${PROGRAM}-plain`), 0o644);
mkdirSync(join(bin, `${PROGRAM}-folder`));

describe("requireProgram", () => {
  it("a missing qemu-system-aarch64: QUS_VM_TOOL_MISSING naming Debian's qemu-system-arm", () => {
    const error = qusErrorOf(() => requireProgram("qemu-system-aarch64", empty));
    expect(error.code).toBe("QUS_VM_TOOL_MISSING");
    expect(error.message).toContain("qemu-system-aarch64");
    expect(error.hint).toContain("qemu-system-arm");
    expect(error.hint).toContain("apt-get install qemu-system-arm");
  });

  it.each(Object.entries(TOOL_PACKAGES).filter(([program]) => program.startsWith("qemu-")))(
    "a missing %s names the package %s",
    (program, pkg) => {
      const error = qusErrorOf(() => requireProgram(program, empty));
      expect(error.code).toBe("QUS_VM_TOOL_MISSING");
      expect(error.hint).toContain(`apt-get install ${pkg}`);
    },
  );

  it("a program qus has no package for: the hint names the program", () => {
    const error = qusErrorOf(() => requireProgram("qus-no-such-tool-19c2", empty));
    expect(error.code).toBe("QUS_VM_TOOL_MISSING");
    expect(error.hint).toContain("qus-no-such-tool-19c2");
  });

  it("a program that is there: its full path", () => {
    expect(requireProgram(PROGRAM, bin)).toBe(join(bin, PROGRAM));
  });
});

describe("findProgram", () => {
  it("finds an executable file on the given PATH", () => {
    expect(findProgram(PROGRAM, bin)).toBe(join(bin, PROGRAM));
    expect(findProgram(PROGRAM, [empty, "", bin].join(delimiter))).toBe(join(bin, PROGRAM));
  });

  it("the first folder on PATH wins", () => {
    const first = join(scratch, "first");
    mkdirSync(first);
    writeFileSync(join(first, PROGRAM), "#!/bin/sh\n");
    chmodSync(join(first, PROGRAM), 0o700);
    expect(findProgram(PROGRAM, [first, bin].join(delimiter))).toBe(join(first, PROGRAM));
  });

  it("not a program absent from PATH, nor a file that is not executable", () => {
    expect(findProgram(PROGRAM, empty)).toBeUndefined();
    expect(findProgram(PROGRAM, "")).toBeUndefined();
    expect(findProgram(`${PROGRAM}-plain`, bin)).toBeUndefined();
  });

  it("not a folder that has the program's name", () => {
    expect(findProgram(`${PROGRAM}-folder`, bin)).toBeUndefined();
  });
});
