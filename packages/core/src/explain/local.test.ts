import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { elfFile, fakeDriver, qemuEntry } from "../test-support.js";
import { explainFiles } from "./local.js";
import { explanationExitCode, renderExplanation } from "./render.js";

const dir = mkdtempSync(join(tmpdir(), "qus-explain-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe("explainFiles", () => {
  it("asks the driver to probe the files' targets, and renders one block per file and a summary", async () => {
    const arm64 = file("arm64", elfFile({ bits: 64, little: true, machine: 183 }));
    const riscv = file("riscv64", elfFile({ bits: 64, little: true, machine: 243, flags: 5 }));
    const driver = fakeDriver([qemuEntry("aarch64")]);
    const explanation = await explainFiles([arm64, riscv], { driver });
    expect(driver.requests).toEqual([expect.objectContaining({ mount: false, verify: true })]);
    expect(driver.requests[0]?.targets.map((target) => target.cpu)).toEqual(["aarch64", "riscv64"]);
    expect(explanation.ok).toBe(false);
    expect(explanationExitCode(explanation)).toBe(1);
    const text = renderExplanation(explanation);
    expect(text).toContain(`${arm64}\n  architecture      AArch64, 64-bit little-endian (linux/arm64)`);
    expect(text).toContain("binfmt_misc qemu-aarch64 (flags OCF, interpreter /usr/bin/qemu-aarch64-static): probe ok");
    expect(text).toContain("fix: qus ensure --platforms linux/riscv64");
    expect(text).toMatch(/explain: 1 of 2 files run here\n$/);
  });

  it("a file it cannot read is reported, named, and makes the exit code 2", async () => {
    const missing = join(dir, "missing");
    const text = file("text", Buffer.from("hello\n"));
    const explanation = await explainFiles([missing, text], { driver: fakeDriver([]) });
    expect(explanation.files).toEqual([
      {
        path: missing,
        error: expect.objectContaining({ code: "QUS_FILE_UNREADABLE", message: `${missing}: no such file` }),
      },
      { path: text, error: expect.objectContaining({ code: "QUS_NOT_ELF", message: `${text}: not an ELF file` }) },
    ]);
    expect(explanationExitCode(explanation)).toBe(2);
    expect(renderExplanation(explanation)).toContain("explain: 0 of 0 files run here, 2 could not be read");
  });
});
