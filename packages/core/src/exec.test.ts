import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { execProcess } from "./exec.js";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

describe("execProcess", () => {
  it("returns output and exit code of a plain run", async () => {
    const result = await execProcess("sh", ["-c", "echo out; echo err >&2; exit 3"], { timeoutMs: 5_000 });
    expect(result).toMatchObject({ exitCode: 3, stdout: "out", stderr: "err", timedOut: false });
  });

  it("at its timeout kills the whole process group, a grandchild holding the pipes included, and returns", async () => {
    // The shell starts a grandchild that keeps stdout open and prints its pid, then hangs itself.
    const result = await execProcess("sh", ["-c", "sleep 300 & echo $!; wait"], { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    const grandchild = Number(result.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it("does not wait for a daemonized grandchild that keeps the pipes open after its parent exited", async () => {
    const result = await execProcess("sh", ["-c", "sleep 300 & echo $!"], { timeoutMs: 60_000 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(Number(result.stdout.trim()))).toBe(false);
  });

  it("ends a process that prints without end, with its tree, and rejects with QUS_OUTPUT_TOO_LARGE", async () => {
    // The grandchild prints forever; its parent prints its pid first, so the test can see it was ended too.
    const started = execProcess("sh", ["-c", "yes garbage & echo $!; wait"], {
      timeoutMs: 60_000,
      maxOutputBytes: 4 * 2 ** 20,
    });
    await expect(started).rejects.toMatchObject({ code: "QUS_OUTPUT_TOO_LARGE", kind: "environment" });
    await expect(started).rejects.toThrow(/printed more than 4 MiB/);
    const ps = await execProcess("pgrep", ["-f", "^yes garbage$"]);
    expect(ps.stdout).toBe("");
  });

  it("keeps output up to the cap whole", async () => {
    const result = await execProcess("head", ["-c", "4096", "/dev/zero"], { maxOutputBytes: 4096 });
    expect(result.stdout.length).toBe(4096);
  });

  it("reports a program that cannot start by its errno", async () => {
    const result = await execProcess("/nonexistent/qus-test-program", []);
    expect(result).toMatchObject({ exitCode: undefined, startError: "ENOENT" });
  });
});
