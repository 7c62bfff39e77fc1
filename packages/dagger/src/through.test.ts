import { describe, expect, it } from "vitest";
import { DIRECT_STATUS, throughOf } from "./verify.js";

describe("throughOf: how the engine ran its own program in a foreign container, from the outcome's kind", () => {
  it("ran with the program's status: the host's kernel; ran and failed: the engine's QEMU, whatever it printed", () => {
    expect(throughOf({ kind: "ran", exitCode: DIRECT_STATUS, stdout: "", stderr: "" })).toBe("host-kernel");
    // No need of QEMU's wording ("Invalid ELF image for this architecture"): the program ran and failed.
    expect(throughOf({ kind: "ran", exitCode: 1, stdout: "", stderr: "" })).toBe("engine-qemu");
    expect(throughOf({ kind: "ran", exitCode: 1, stdout: "", stderr: "Invalid ELF image for this architecture" })).toBe(
      "engine-qemu",
    );
  });

  it("not started, timed out, killed, or not run: says nothing about the wrapper", () => {
    expect(throughOf({ kind: "not-started", reason: "exec-format", detail: "exec format error" })).toBe("unknown");
    expect(throughOf({ kind: "not-started", reason: "other", detail: "Invalid ELF image" })).toBe("unknown");
    expect(throughOf({ kind: "timed-out", stdout: "", stderr: "" })).toBe("unknown");
    expect(throughOf({ kind: "ran", exitCode: 139, signal: "signal 11", stdout: "", stderr: "" })).toBe("unknown");
    expect(throughOf(undefined)).toBe("unknown");
  });
});
