import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runQus as run } from "../test-support.js";

// `qus vm ...` through the CLI: only input errors and an empty registry. Nothing here needs root, builds a root
// with mmdebstrap or starts QEMU: every call ends at a check made before any of that.
const scratch = mkdtempSync(join(tmpdir(), "qus-cli-vm-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const missing = join(scratch, "nonexistent-dir");

describe("qus vm: bad input exits 2", () => {
  it("create without --arch", async () => {
    const { code, stdout, stderr } = await run("vm", "create", "--out", join(scratch, "vm-a"));
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("QUS_USAGE");
    expect(stderr).toContain("--arch");
    expect(existsSync(join(scratch, "vm-a"))).toBe(false);
  });

  it("create with no options at all", async () => {
    const { code, stderr } = await run("vm", "create");
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_USAGE");
  });

  it("create without --out", async () => {
    const { code, stderr } = await run("vm", "create", "--arch", "arm64");
    expect(code).toBe(2);
    expect(stderr).toMatch(/QUS_USAGE.*--out/);
  });

  it("create --arch amd64: not an architecture qus vm builds", async () => {
    const out = join(scratch, "vm-amd64");
    const { code, stderr } = await run("vm", "create", "--arch", "amd64", "--out", out);
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_USAGE");
    expect(stderr).toContain('"amd64"');
    expect(stderr).toMatch(/hint: .*arm64, armhf/);
    expect(existsSync(out)).toBe(false);
  });

  it("start with no DIR", async () => {
    const { code, stderr } = await run("vm", "start");
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_USAGE");
    expect(stderr).toContain("qus vm start DIR");
  });

  it("start with two DIRs", async () => {
    const { code, stderr } = await run("vm", "start", missing, missing);
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_USAGE");
  });

  it("start of a folder that does not exist: QUS_VM_NOT_FOUND", async () => {
    const { code, stderr } = await run("vm", "start", missing);
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_VM_NOT_FOUND");
    expect(stderr).toContain(missing);
  });

  it("start /nonexistent-dir: QUS_VM_NOT_FOUND", async () => {
    const { code, stderr } = await run("vm", "start", "/nonexistent-dir");
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_VM_NOT_FOUND");
  });

  it.each(["abc", "0", "-5", "1.5", ""])("start DIR --boot-timeout %j", async (value) => {
    const { code, stderr } = await run("vm", "start", missing, "--boot-timeout", value);
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_USAGE");
    expect(stderr).toContain("--boot-timeout");
  });

  it("start DIR --memory lots", async () => {
    const { code, stderr } = await run("vm", "start", missing, "--memory", "lots");
    expect(code).toBe(2);
    expect(stderr).toMatch(/QUS_USAGE.*--memory/);
  });

  it("start with an unknown option", async () => {
    const { code, stderr } = await run("vm", "start", missing, "--frobnicate");
    expect(code).toBe(2);
    expect(stderr).toMatch(/QUS_USAGE.*frobnicate/);
  });

  it("run with no disk", async () => {
    const { code, stderr } = await run("vm", "run");
    expect(code).toBe(125);
    expect(stderr).toContain("QUS_USAGE");
    expect(stderr).toContain("give the disk or VM folder");
  });

  it("run /nonexistent without a command", async () => {
    const { code, stderr } = await run("vm", "run", "/nonexistent");
    expect(code).toBe(125);
    expect(stderr).toContain("QUS_USAGE");
    expect(stderr).toContain("--");
  });

  it("run /nonexistent -- true: QUS_VM_NOT_FOUND, exit 125 (qus failed, not the command)", async () => {
    const { code, stderr } = await run("vm", "run", "/nonexistent", "--", "true");
    expect(code).toBe(125);
    expect(stderr).toContain("QUS_VM_NOT_FOUND");
    expect(stderr).toContain("/nonexistent");
  });

  it("run DISK --timeout abc -- true", async () => {
    const { code, stderr } = await run("vm", "run", missing, "--timeout", "abc", "--", "true");
    expect(code).toBe(125);
    expect(stderr).toContain("QUS_USAGE");
  });

  it("to-image without --tag", async () => {
    const { code, stderr } = await run("vm", "to-image", join(scratch, "disk.qcow2"));
    expect(code).toBe(2);
    expect(stderr).toMatch(/QUS_USAGE.*--tag/);
  });

  it("to-image without a disk", async () => {
    const { code, stderr } = await run("vm", "to-image", "--tag", "x");
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_USAGE");
  });

  it("from-image without --out", async () => {
    const { code, stderr } = await run("vm", "from-image", "busybox");
    expect(code).toBe(2);
    expect(stderr).toMatch(/QUS_USAGE.*--out/);
  });

  it("stop with no DIR", async () => {
    const { code, stderr } = await run("vm", "stop");
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_USAGE");
  });

  it("status takes no positional argument", async () => {
    const { code, stderr } = await run("vm", "status", "extra");
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_USAGE");
  });
});

describe("qus vm: help", () => {
  it.each(["create", "start", "stop", "status", "run", "from-image", "to-image"])(
    "vm %s --help: usage, exit 0",
    async (command) => {
      const { code, stdout, stderr } = await run("vm", command, "--help");
      expect(code).toBe(0);
      expect(stderr).toBe("");
      expect(stdout).toContain(`qus vm ${command}`);
    },
  );
});

describe("qus vm status with an empty registry", () => {
  const registry = mkdtempSync(join(tmpdir(), "qus-cli-vm-registry-"));
  const saved = process.env.QUS_VM_STATE_DIR;
  beforeAll(() => {
    process.env.QUS_VM_STATE_DIR = registry;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.QUS_VM_STATE_DIR;
    else process.env.QUS_VM_STATE_DIR = saved;
    rmSync(registry, { recursive: true, force: true });
  });

  it("says no VM is running, exit 0", async () => {
    const { code, stdout, stderr } = await run("vm", "status");
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toBe("vm status: no VM is running\n");
  });

  it("--json: an empty list", async () => {
    const { code, stdout } = await run("vm", "status", "--json");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([]);
  });
});
