import { describe, expect, it } from "vitest";
import { isQusError } from "../errors.js";
import type { ForegroundEnd } from "./foreground-process.js";
import { outcomeOf } from "./run-with-emulation.js";

const plan = { entries: ["qemu-aarch64", "qemu-riscv64"] };
const end = (lines: string[], code: number | null, signal: NodeJS.Signals | null = null): ForegroundEnd => ({
  lines,
  code,
  signal,
});
const failure = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (isQusError(error)) return error;
  }
  throw new Error("expected a QusError");
};

describe("outcomeOf: the command's status once it started, qus's failure before", () => {
  it("after exec, whatever the status, it is the command's (1, 3, 125, 127 alike)", () => {
    for (const code of [0, 1, 3, 125, 127]) {
      expect(outcomeOf(end(["ready qemu-aarch64", "native qemu-i386", "exec"], code), plan)).toEqual({
        status: code,
        ready: ["qemu-aarch64", "qemu-i386"],
      });
    }
  });

  it("a command killed by a signal: 128 + N, and the signal", () => {
    expect(outcomeOf(end(["exec"], null, "SIGTERM"), plan)).toEqual({ status: 143, signal: "SIGTERM", ready: [] });
  });

  it("a probe that failed in the private table: QUS_PLATFORM_NOT_RUNNABLE naming the entry and its status", () => {
    const error = failure(() => outcomeOf(end(["ready qemu-aarch64", "fail probe qemu-riscv64 126"], 125), plan));
    expect(error.code).toBe("QUS_PLATFORM_NOT_RUNNABLE");
    expect(error.message).toContain("qemu-riscv64");
    expect(error.message).toContain("status 126");
  });

  it("a probe whose emulator hangs: QUS_TIMEOUT naming the entry, another QEMU as the way out", () => {
    const error = failure(() => outcomeOf(end(["fail probe qemu-aarch64 timeout"], 125), plan));
    expect(error.code).toBe("QUS_TIMEOUT");
    expect(error.message).toContain("qemu-aarch64");
    expect(error.hint).toContain("--qemu-from");
  });

  it("binfmt_misc that cannot be mounted: the machine cannot (QUS_USERNS_UNAVAILABLE)", () => {
    expect(failure(() => outcomeOf(end(["fail mount binfmt_misc"], 125), plan)).code).toBe("QUS_USERNS_UNAVAILABLE");
  });

  it("a refused registration: QUS_KERNEL_WRITE_FAILED", () => {
    expect(failure(() => outcomeOf(end(["fail register qemu-aarch64"], 125), plan)).code).toBe(
      "QUS_KERNEL_WRITE_FAILED",
    );
  });

  it("unshare that said nothing and failed: it could not make the namespaces", () => {
    const error = failure(() => outcomeOf(end([], 1), plan));
    expect(error.code).toBe("QUS_USERNS_UNAVAILABLE");
    expect(error.message).toContain("unshare exited 1");
  });

  it("interrupted while setting up: reported as a shell would, not as qus's failure", () => {
    expect(outcomeOf(end(["ready qemu-aarch64"], null, "SIGINT"), plan)).toEqual({
      status: 130,
      signal: "SIGINT",
      ready: ["qemu-aarch64"],
    });
  });
});
