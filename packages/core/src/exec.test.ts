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

  it("reports a program that cannot start by its errno", async () => {
    const result = await execProcess("/nonexistent/qus-test-program", []);
    expect(result).toMatchObject({ exitCode: undefined, startError: "ENOENT" });
  });
});
