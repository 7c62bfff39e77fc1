import { QusError } from "@qus/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runQus as run } from "../test-support.js";

// `qus run`'s exit decision, with core's runWithEmulation answered here: no namespace is made.
const { runWithEmulation } = vi.hoisted(() => ({ runWithEmulation: vi.fn() }));
vi.mock("@qus/core/toolkit", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@qus/core/toolkit")>()),
  runWithEmulation,
}));

const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
afterEach(() => {
  runWithEmulation.mockReset();
  stderr.mockClear();
});
const written = () => stderr.mock.calls.map(([text]) => String(text)).join("");

describe("qus run: the command's status, 125 for qus, 3 when the machine forbids it", () => {
  it.each([0, 1, 2, 3, 42, 143])("a command that ends with %i: qus exits %i", async (status) => {
    runWithEmulation.mockResolvedValue({ status, ready: ["qemu-aarch64"] });
    const { code, stdout } = await run("run", "--platforms", "arm64", "--", "sh", "-c", "exit 1", "--json");
    expect(code).toBe(status);
    expect(stdout).toBe("");
    expect(runWithEmulation).toHaveBeenCalledWith(
      expect.objectContaining({ platforms: "arm64", command: ["sh", "-c", "exit 1", "--json"], mapRoot: false }),
    );
  });

  it("--root and --qemu-path reach core", async () => {
    runWithEmulation.mockResolvedValue({ status: 0, ready: [] });
    await run("run", "--platforms", "arm64", "--root", "--qemu-path", "/opt/q", "--", "true");
    expect(runWithEmulation).toHaveBeenCalledWith(expect.objectContaining({ mapRoot: true, qemuPath: "/opt/q" }));
  });

  it("without --, the command starts at the first argument that is not qus's: its options are its own", async () => {
    runWithEmulation.mockResolvedValue({ status: 0, ready: [] });
    await run("run", "--platforms", "arm64", "--qemu-path", "/opt/q", "./prog", "-v", "--root", "--", "x");
    expect(runWithEmulation).toHaveBeenCalledWith(
      expect.objectContaining({ qemuPath: "/opt/q", mapRoot: false, command: ["./prog", "-v", "--root", "--", "x"] }),
    );
    runWithEmulation.mockClear();
    await run("run", "--platforms=arm64", "--root", "-", "a");
    expect(runWithEmulation).toHaveBeenCalledWith(expect.objectContaining({ mapRoot: true, command: ["-", "a"] }));
  });

  it("an option of qus's it does not know, before the command, is still refused", async () => {
    const { code, stderr: error } = await run("run", "--platforms", "arm64", "--frobnicate", "./prog");
    expect(code).toBe(125);
    expect(error).toContain("frobnicate");
    expect(runWithEmulation).not.toHaveBeenCalled();
  });

  it("a command that is not there: 127 and qus's words on stderr", async () => {
    runWithEmulation.mockResolvedValue({ status: 127, problem: "nope: not found in PATH", ready: [] });
    expect((await run("run", "--platforms", "arm64", "--", "nope")).code).toBe(127);
    expect(written()).toBe("qus run: nope: not found in PATH\n");
  });

  it("qus's own failure: 125, whatever its code's exit, the QUS_ code on stderr", async () => {
    runWithEmulation.mockRejectedValue(new QusError("QUS_INTERPRETER_MISSING", "no qemu-aarch64"));
    const { code, stderr: error } = await run("run", "--platforms", "arm64", "--", "true");
    expect(code).toBe(125);
    expect(error).toMatch(/^qus: error QUS_INTERPRETER_MISSING: no qemu-aarch64/);
  });

  it("user namespaces forbidden: exit 3, the error on stderr", async () => {
    runWithEmulation.mockRejectedValue(new QusError("QUS_USERNS_UNAVAILABLE", "user namespaces are switched off"));
    expect((await run("run", "--platforms", "arm64", "--", "true")).code).toBe(3);
    expect(written()).toMatch(/^qus: error QUS_USERNS_UNAVAILABLE: user namespaces are switched off/);
  });

  it("no --platforms: usage, exit 125 as every failure of qus's own", async () => {
    const { code, stderr: error } = await run("run", "--", "true");
    expect(code).toBe(125);
    expect(error).toContain("qus run needs --platforms");
    expect(runWithEmulation).not.toHaveBeenCalled();
  });

  it("qus shell runs $SHELL", async () => {
    runWithEmulation.mockResolvedValue({ status: 0, ready: [] });
    vi.stubEnv("SHELL", "/bin/bash");
    await run("shell", "--platforms", "arm64");
    vi.unstubAllEnvs();
    expect(runWithEmulation).toHaveBeenCalledWith(expect.objectContaining({ command: ["/bin/bash"] }));
  });
});
