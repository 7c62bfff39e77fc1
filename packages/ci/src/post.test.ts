import type { Exec, ExecResult } from "@qus/core/runner";
import { describe, expect, it } from "vitest";
import { runPost } from "./post.js";

function fakeExec(exitCode: number, stderr = "") {
  const calls: string[][] = [];
  const exec: Exec = async (file, args): Promise<ExecResult> => {
    calls.push([file, ...args]);
    return { exitCode, signal: undefined, stdout: "", stderr, startError: undefined, timedOut: false };
  };
  return { exec, calls };
}

const STATE = { kernel: "docker", registered: [], createdBuilder: "qus-ci", cleanup: true } as const;

describe("runPost", () => {
  it("removes the builder the step created through the engine seam", async () => {
    const { exec, calls } = fakeExec(0);
    const outcome = await runPost(STATE, { cliPath: "qus", exec });
    expect(calls).toEqual([["docker", "buildx", "rm", "--", "qus-ci"]]);
    expect(outcome).toEqual({ removedEntries: [], problems: [], removedBuilder: "qus-ci" });
  });

  it("a builder it could not remove is a problem naming the command that removes it", async () => {
    const { exec } = fakeExec(1, 'ERROR: no builder "qus-ci" found');
    const outcome = await runPost(STATE, { cliPath: "qus", exec });
    expect(outcome.removedBuilder).toBeUndefined();
    expect(outcome.problems).toEqual(["could not remove the builder qus-ci: run docker buildx rm -- qus-ci"]);
  });

  it("does nothing without cleanup", async () => {
    const { exec, calls } = fakeExec(0);
    expect(await runPost({ ...STATE, cleanup: false }, { cliPath: "qus", exec })).toEqual({
      removedEntries: [],
      problems: [],
    });
    expect(calls).toEqual([]);
  });
});
