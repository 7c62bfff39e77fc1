import type { Exec, ExecResult } from "@qus/core/runner";
import { describe, expect, it } from "vitest";
import { readStepInputs } from "./inputs.js";
import { DISTRIBUTION_QEMU, ensureLocal } from "./local-ensure.js";

/** The qus CLI under sudo, faked: its dry run finds the actions given; every run is recorded. */
function cliFinding(actions: string[]) {
  const calls: string[][] = [];
  const exec: Exec = async (_file, args): Promise<ExecResult> => {
    calls.push([...args]);
    const platforms = actions.map((action) => ({ platform: "linux/arm64", cpu: "aarch64", action, ok: true }));
    const report = { schemaVersion: 1, command: "ensure", ok: true, platforms, warnings: [] };
    return {
      exitCode: 0,
      signal: undefined,
      stdout: JSON.stringify(report),
      stderr: "",
      startError: undefined,
      timedOut: false,
    };
  };
  return { exec, calls };
}

const inputs = readStepInputs((name) => ({ platforms: "arm64,riscv64" })[name]);
const qusArgs = (call: string[] | undefined) => call?.slice(call.indexOf("/qus.js") + 1);

describe("ensureLocal: this machine's kernel, with its QEMU or the distribution's", () => {
  it("QEMU found for every platform: a dry run, then the ensure with it; nothing fetched", async () => {
    const { exec, calls } = cliFinding(["register", "ok"]);
    await ensureLocal(inputs, { exec, isRoot: false, cliPath: "/qus.js" });
    expect(calls.map(qusArgs)).toEqual([
      ["ensure", "--platforms", "arm64,riscv64", "--dry-run", "--json"],
      ["ensure", "--platforms", "arm64,riscv64", "--json"],
    ]);
    expect(calls[0]?.slice(0, 2)).toEqual(["-n", "--"]);
  });

  it("QEMU missing for one: the ensure takes Debian's static QEMU for them all, no registry pull", async () => {
    const { exec, calls } = cliFinding(["missing-interpreter", "ok"]);
    await ensureLocal(inputs, { exec, isRoot: false, cliPath: "/qus.js" });
    expect(qusArgs(calls[1])).toEqual([
      "ensure",
      "--platforms",
      "arm64,riscv64",
      "--qemu-from",
      DISTRIBUTION_QEMU,
      "--json",
    ]);
    expect(DISTRIBUTION_QEMU).toMatch(/^debian:/);
  });
});
