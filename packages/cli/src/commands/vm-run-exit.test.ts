import { QusError } from "@qus/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EXIT, exitCodeForFailure, passedThroughExitCode } from "../exit-codes.js";
import { runQus as run } from "../test-support.js";

// `qus vm run`'s exit decision, with @qus/vm's runOnDisk answered here: no disk is checked and no VM boots. What
// the guest's command exited with comes back as it is; qus's own failure is 125, as `docker run` keeps 125.
const runOnDisk = vi.fn();
vi.mock("@qus/vm", () => ({ runOnDisk }));

afterEach(() => runOnDisk.mockReset());

const guestExits = (exitCode: number, output = "") =>
  runOnDisk.mockResolvedValue({ output, exitCode, arch: "arm64", ms: 3000 });

describe("qus vm run: the guest's status or qus's 125", () => {
  it.each([0, 1, 2, 3, 42])("a guest command that exits %i: qus exits %i, nothing on stderr", async (status) => {
    guestExits(status, "guest output\n");
    const { code, stdout, stderr } = await run("vm", "run", "disk.qcow2", "--", "sh", "-c", `exit ${status}`);
    expect(code).toBe(status);
    expect(stdout).toBe("guest output\n");
    expect(stderr).toBe("");
    expect(runOnDisk).toHaveBeenCalledWith(
      expect.objectContaining({ disk: "disk.qcow2", argv: ["sh", "-c", `exit ${status}`] }),
    );
  });

  it("qus's own failure, whatever its code's exit (3 for a missing tool): 125 and the QUS_ code on stderr", async () => {
    runOnDisk.mockRejectedValue(new QusError("QUS_VM_TOOL_MISSING", "qemu-system-aarch64 is not installed"));
    const { code, stdout, stderr } = await run("vm", "run", "disk.qcow2", "--", "true");
    expect(code).toBe(125);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^qus: error QUS_VM_TOOL_MISSING: qemu-system-aarch64 is not installed/);
  });

  it("a guest's own 125 is told from qus's by --json: the run's result, not an error", async () => {
    guestExits(125);
    const ran = await run("vm", "run", "disk.qcow2", "--json", "--", "false");
    expect(ran.code).toBe(125);
    expect(ran.stderr).toBe("");
    expect(JSON.parse(ran.stdout)).toMatchObject({ exitCode: 125, output: "" });
    expect(JSON.parse(ran.stdout)).not.toHaveProperty("error");

    runOnDisk.mockRejectedValue(new QusError("QUS_VM_BOOT_FAILED", "the guest did not boot"));
    const failed = await run("vm", "run", "disk.qcow2", "--json", "--", "false");
    expect(failed.code).toBe(125);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      ok: false,
      exitCode: 125,
      error: { code: "QUS_VM_BOOT_FAILED", kind: "operation" },
    });
  });
});

describe("passedThroughExitCode and exitCodeForFailure: the decision itself", () => {
  it("a status passes through as it is, even where it reads as one of qus's (2, 3, 125 to 127)", () => {
    for (const status of [0, 1, 2, 3, 125, 126, 127]) expect(passedThroughExitCode({ status })).toBe(status);
  });

  it("any failure of qus's own is 125 in a command that passes a status through, its code's exit elsewhere", () => {
    const failures = [new QusError("QUS_USAGE", "x"), new QusError("QUS_NOT_ROOT", "x"), new Error("bug")];
    for (const error of failures) {
      expect(passedThroughExitCode({ failed: error })).toBe(EXIT.qusFailed);
      expect(exitCodeForFailure(error, true)).toBe(125);
    }
    expect(failures.map((error) => exitCodeForFailure(error))).toEqual([2, 3, 1]);
  });
});
