import { describe, expect, it } from "vitest";
import { RUN_BEGIN, RUN_EXIT } from "./init-script.js";
import { parseRunConsole } from "./run.js";

// Consoles as the guest's /init writes them: `echo QUS-RUN-BEGIN`, the command's output, then
// `printf '\nQUS-RUN-EXIT:%d\n'`; the kernel's lines before and after.
const KERNEL_NOISE = [
  "[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x411fd070]",
  "[    0.000000] Linux version 6.1.0-99-arm64 (debian-kernel@lists.debian.org)",
  "[    1.234567] virtio_blk virtio1: [vda] 8388608 512-byte logical blocks",
  "EXT4-fs (vda): mounted filesystem with ordered data mode.",
  "",
].join("\n");
const AFTER = "[    5.000000] reboot: Power down\n";

const consoleOf = (output: string, status: number, before = KERNEL_NOISE, after = AFTER) =>
  `${before}${RUN_BEGIN}\n${output}\n${RUN_EXIT}${status}\n${after}`;

describe("parseRunConsole", () => {
  it("the markers are what the tests below assume", () => {
    expect(RUN_BEGIN).toBe("QUS-RUN-BEGIN");
    expect(RUN_EXIT).toBe("QUS-RUN-EXIT:");
  });

  it("takes the output between the markers, kernel noise before and after left out", () => {
    expect(parseRunConsole(consoleOf("aarch64\n", 0))).toEqual({ output: "aarch64\n", exitCode: 0 });
  });

  it("output without a trailing newline stays without one", () => {
    expect(parseRunConsole(consoleOf("no newline", 3))).toEqual({ output: "no newline", exitCode: 3 });
  });

  it("empty output", () => {
    expect(parseRunConsole(consoleOf("", 0))).toEqual({ output: "", exitCode: 0 });
  });

  it("output of several lines, with blank lines at its end", () => {
    expect(parseRunConsole(consoleOf("one\n\ntwo\n\n\n", 1))).toEqual({ output: "one\n\ntwo\n\n\n", exitCode: 1 });
  });

  it("a fake exit marker line in the output earlier does not end it", () => {
    const output = `start\n${RUN_EXIT}7\nmiddle\n${RUN_EXIT}\nend\n`;
    expect(parseRunConsole(consoleOf(output, 42))).toEqual({ output, exitCode: 42 });
  });

  it("a begin marker in the output is output", () => {
    const output = `${RUN_BEGIN}\nnested\n`;
    expect(parseRunConsole(consoleOf(output, 0))).toEqual({ output, exitCode: 0 });
  });

  it("no kernel noise at all", () => {
    expect(parseRunConsole(consoleOf("x", 0, "", ""))).toEqual({ output: "x", exitCode: 0 });
  });

  it("kernel noise before the begin marker, without the marker's own line start", () => {
    expect(parseRunConsole(consoleOf("x", 5, "[    2.0] random: crng init done\n"))).toEqual({
      output: "x",
      exitCode: 5,
    });
  });

  it("missing exit marker (the VM died, or was stopped): undefined", () => {
    expect(parseRunConsole(`${KERNEL_NOISE}${RUN_BEGIN}\npartial output\n`)).toBeUndefined();
    expect(parseRunConsole(`${KERNEL_NOISE}${RUN_BEGIN}\n`)).toBeUndefined();
  });

  it("missing begin marker: undefined", () => {
    expect(parseRunConsole(`${KERNEL_NOISE}qus-init: cannot mount /dev/vda\n`)).toBeUndefined();
    expect(parseRunConsole("")).toBeUndefined();
    expect(parseRunConsole(`${KERNEL_NOISE}\n${RUN_EXIT}0\n`)).toBeUndefined();
  });

  it("an exit marker without a number: undefined", () => {
    expect(parseRunConsole(`${RUN_BEGIN}\nout\n${RUN_EXIT}\n`)).toBeUndefined();
    expect(parseRunConsole(`${RUN_BEGIN}\nout\n${RUN_EXIT}x1\n`)).toBeUndefined();
  });

  it("every exit status 0..255", () => {
    for (let status = 0; status <= 255; status++) {
      expect(parseRunConsole(consoleOf(`status ${status}\n`, status))).toEqual({
        output: `status ${status}\n`,
        exitCode: status,
      });
    }
  });

  it("the exit marker at the very end without a final newline", () => {
    expect(parseRunConsole(`${RUN_BEGIN}\nhi\n${RUN_EXIT}255`)).toEqual({ output: "hi", exitCode: 255 });
  });
});
