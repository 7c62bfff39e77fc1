import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildProbe } from "../probe/index.js";
import { parseScriptLine, printfOctal, SETUP_SCRIPT, scriptArguments } from "./setup-script.js";

describe("SETUP_SCRIPT", () => {
  it("is valid POSIX sh, its data never in its text", () => {
    expect(spawnSync("sh", ["-n", "-c", SETUP_SCRIPT]).status).toBe(0);
    expect(SETUP_SCRIPT).not.toMatch(/\beval\b/);
  });

  it("closes fd 3 before the command starts, and runs it through exec (its pid, its signals, its status)", () => {
    const lines = SETUP_SCRIPT.trim().split("\n");
    expect(lines.slice(-3)).toEqual([
      "exec 3>&-",
      '[ -n "$uid" ] || exec setpriv --pdeathsig KILL -- "$@"',
      'exec unshare --user --map-user="$uid" --map-group="$gid" -- setpriv --pdeathsig KILL -- "$@"',
    ]);
  });
});

describe("printfOctal", () => {
  it("gives back every byte of a probe through a real shell's printf %b, NUL and backslash included", () => {
    const probe = buildProbe("aarch64");
    const bytes = Uint8Array.from([...probe, 0, 0x5c, 0x25, 0x0a, 0xff]);
    const out = spawnSync("sh", ["-c", 'printf "%b" "$1"', "sh", printfOctal(bytes)]);
    expect(out.status).toBe(0);
    expect(Uint8Array.from(out.stdout)).toEqual(bytes);
  });
});

describe("scriptArguments", () => {
  const entry = {
    name: "qemu-aarch64",
    register: ":qemu-aarch64:M::x:y:/q:F",
    interpreter: "/q",
    probe: Uint8Array.of(1, 2),
  };

  it("ids, the probes' folder, the count, four words per entry, then the command as given", () => {
    expect(
      scriptArguments({ uid: 1000, gid: 1001 }, "/tmp", [{ ...entry, maybeNative: false }], ["sh", "-c", "a b; $x"]),
    ).toEqual([
      "1000",
      "1001",
      "/tmp",
      "1",
      "qemu-aarch64",
      entry.register,
      "\\0001\\0002",
      "0",
      "sh",
      "-c",
      "a b; $x",
    ]);
  });

  it("root: empty ids; a cpu that may be native is marked 1", () => {
    const args = scriptArguments("root", "/dev/shm", [{ ...entry, name: "qemu-i386", maybeNative: true }], ["true"]);
    expect(args.slice(0, 4)).toEqual(["", "", "/dev/shm", "1"]);
    expect(args[7]).toBe("1");
  });
});

describe("parseScriptLine", () => {
  it("reads the script's words and nothing else", () => {
    expect(parseScriptLine("ready qemu-aarch64")).toEqual({ kind: "ready", name: "qemu-aarch64" });
    expect(parseScriptLine("native qemu-i386")).toEqual({ kind: "native", name: "qemu-i386" });
    expect(parseScriptLine("exec")).toEqual({ kind: "exec" });
    expect(parseScriptLine("fail probe qemu-riscv64 126")).toEqual({
      kind: "fail",
      step: "probe",
      detail: ["qemu-riscv64", "126"],
    });
    expect(parseScriptLine("exec now")).toBeUndefined();
    expect(parseScriptLine("hello")).toBeUndefined();
  });
});
