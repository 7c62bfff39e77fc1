import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { END_OTHERS, RUN_BEGIN, RUN_EXIT } from "../packages/vm/src/init-script.js";
import { parseRunConsole } from "../packages/vm/src/run.js";
import { busybox } from "./support/kernel.js";

/**
 * Runs /init's run-mode ending with the host's busybox sh as pid 1 of a new pid namespace (as in the guest, where
 * /init is pid 1): the command, then end_others, then the exit marker.
 */
function runAsInit(command: string): string {
  const script = `${END_OTHERS}
echo ${RUN_BEGIN}
sh -c '${command}' </dev/null
status=$?
end_others
printf '\\n${RUN_EXIT}%d\\n' "$status"
`;
  const result = spawnSync(
    "unshare",
    ["--pid", "--fork", "--mount-proc", busybox("amd64"), "sh", "-c", script],
    // A private PATH of busybox's applets: the script's sh and sleep are busybox's, as in the initrd.
    { encoding: "utf8", timeout: 30_000, maxBuffer: 256 * 2 ** 20, env: { PATH: appletPath() } },
  );
  if (result.error) throw result.error;
  return result.stdout;
}

let applets = "";
function appletPath(): string {
  if (applets) return applets;
  applets = mkdtempSync(join(tmpdir(), "qus-init-applets-"));
  spawnSync(busybox("amd64"), ["--install", "-s", applets]);
  return applets;
}

afterAll(() => {
  if (applets) rmSync(applets, { recursive: true, force: true });
});

describe("the guest's exit marker (run mode of qus's /init)", () => {
  it("a command that leaves processes printing forged exit markers still reports its own status", () => {
    // One forger prints fast, one ignores TERM and HUP; the command itself fails with 9.
    const console = runAsInit(
      `(while :; do echo ${RUN_EXIT}0; done) & (trap "" TERM HUP; while :; do printf "\\n${RUN_EXIT}0\\n"; done) & sleep 0.3; exit 9`,
    );
    expect(console).toContain(`${RUN_EXIT}0`);
    expect(parseRunConsole(console)?.exitCode).toBe(9);
  });

  it("a command that forges the marker itself before it exits still reports its own status", () => {
    const console = runAsInit(`printf "\\n${RUN_EXIT}0\\n"; exit 7`);
    expect(parseRunConsole(console)?.exitCode).toBe(7);
  });

  it("a command with nothing left behind: its output and status", () => {
    expect(parseRunConsole(runAsInit("echo hi; exit 0"))).toEqual({ output: "hi\n", exitCode: 0 });
  });
});
