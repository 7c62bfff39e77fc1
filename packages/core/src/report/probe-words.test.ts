import { describe, expect, it } from "vitest";
import { describeFailure, type FailureContext, failureHint } from "./probe-words.js";

const entry = (flags: string, interpreter = "/usr/bin/qemu-riscv64-static") => ({
  name: "qemu-riscv64",
  interpreter,
  flags,
  enabled: true,
});
const words = (context: FailureContext) => [describeFailure(context), failureHint(context)];

describe("probe failures in words", () => {
  it("a hang names the emulator's path, and says BuildKit's check hangs on it too", () => {
    const [sentence, hint] = words({ failure: "timeout", entry: entry("OCF"), platform: "linux/riscv64" });
    expect(sentence).toBe("timed out: the emulator hung (/usr/bin/qemu-riscv64-static)");
    expect(hint).toMatch(/BuildKit/);
    expect(hint).toContain("qus ensure --replace --platforms linux/riscv64");
  });

  it("exec format error: a disabled entry is to be enabled, a missing one registered", () => {
    const disabled = { ...entry("OCF"), enabled: false };
    expect(failureHint({ failure: "no-handler", entry: disabled, platform: "linux/riscv64" })).toBe(
      "enable it: qus ensure --platforms linux/riscv64",
    );
    expect(failureHint({ failure: "no-handler", platform: "linux/riscv64" })).toBe(
      "register it: qus ensure --platforms linux/riscv64",
    );
  });

  it("exec format error with no entry is a missing handler; with one, the interpreter's real fault", () => {
    expect(describeFailure({ failure: "no-handler" })).toMatch(/no binfmt_misc handler claims/);
    const script = describeFailure({ failure: "no-handler", entry: entry("F"), interpreterFile: "script" });
    expect(script).toMatch(/is a script/);
    const foreign = describeFailure({ failure: "no-handler", entry: entry("F"), interpreterFile: "foreign" });
    expect(foreign).toMatch(/not a program this machine can run/);
  });

  it("ENOENT through an F entry is a dynamic interpreter, not a missing F flag", () => {
    const [sentence, hint] = words({
      failure: "interpreter-unreachable",
      entry: entry("OCF", "/usr/bin/qemu-riscv64"),
      interpreterFile: "dynamic",
      chrooted: true,
    });
    expect(sentence).toMatch(/dynamically linked/);
    expect(sentence).not.toMatch(/no F flag/);
    expect(hint).toMatch(/qemu-user-static/);
  });

  it("ENOENT through an entry without F says so, and a run outside a chroot names it too", () => {
    expect(describeFailure({ failure: "interpreter-unreachable", entry: entry("OC"), chrooted: true })).toMatch(
      /has no F flag/,
    );
    expect(describeFailure({ failure: "interpreter-unreachable", entry: entry("OC"), chrooted: false })).toMatch(
      /runs only outside containers/,
    );
    expect(failureHint({ failure: "interpreter-unreachable", entry: entry("OC") })).toMatch(/with the F flag/);
  });

  it("a crash names the QEMU version and suggests another one with --qemu-from", () => {
    const context: FailureContext = {
      failure: "crashed",
      detail: "SIGILL",
      entry: entry("OCF"),
      platform: "linux/riscv64",
      qemuVersion: "qemu-riscv64 version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)",
    };
    expect(describeFailure(context)).toMatch(/killed by SIGILL/);
    expect(failureHint(context)).toBe(
      "this QEMU build (QEMU 7.2.22) cannot run the probe: try another QEMU, e.g. qus ensure --replace --platforms linux/riscv64 --qemu-from debian:trixie",
    );
    const ten = failureHint({
      ...context,
      qemuVersion: "qemu-riscv64 version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)",
    });
    expect(ten).toContain("(QEMU 10.0.13)");
    expect(ten).toContain("--qemu-from debian:sid");
    expect(failureHint({ ...context, qemuVersion: undefined })).toContain("--qemu-from debian:trixie");
  });

  it("quotes a platform in hints so that the command is safe to paste", () => {
    expect(failureHint({ failure: "no-handler", platform: "x;$(id)" })).toContain("'x;$(id)'");
  });
});
