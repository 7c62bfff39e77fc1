// The engine seam: outcomes classified once, info asked once per client (and its withExec copies).
import { describe, expect, it } from "vitest";
import type { Exec, ExecResult } from "../exec.js";
import { buildxErrorLine, buildxPullFailure, isBuilderCreateRace, probeStepEnd } from "./buildx-words.js";
import { createDockerCliRunner } from "./docker-cli.js";
import { engineCommand } from "./engine-command.js";
import { classifyEngineOutput } from "./engine-failure.js";

const INFO = JSON.stringify({ ID: "E1", ServerVersion: "28.0.0", Architecture: "x86_64", SecurityOptions: [] });

function result(partial: Partial<ExecResult>): ExecResult {
  return { exitCode: 0, signal: undefined, stdout: "", stderr: "", startError: undefined, timedOut: false, ...partial };
}

/** A fake exec that answers by argv and records each call. */
function fakeExec(answer: (args: readonly string[]) => Partial<ExecResult>) {
  const calls: string[][] = [];
  const exec: Exec = async (file, args) => {
    calls.push([file, ...args]);
    return result(answer(args));
  };
  return { exec, calls };
}

describe("engineCommand", () => {
  it("points docker at a context or a host, podman at a connection", async () => {
    const { exec, calls } = fakeExec(() => ({}));
    await engineCommand({ context: "ci", exec }).run(["ps"], { timeoutMs: 1000 });
    await engineCommand({ host: "tcp://h:2376", exec }).run(["ps"], { timeoutMs: 1000 });
    await engineCommand({ engine: "podman", context: "m", exec }).run(["ps"], { timeoutMs: 1000 });
    expect(calls).toEqual([
      ["docker", "--context", "ci", "ps"],
      ["docker", "--host", "tcp://h:2376", "ps"],
      ["podman", "--connection", "m", "ps"],
    ]);
    expect(engineCommand({ context: "a b" }).display(["info"])).toBe("docker --context 'a b' info");
  });

  it("classifies how a command ended: not installed, could not start, timed out, refused, ran", async () => {
    const run = async (partial: Partial<ExecResult>) =>
      (await engineCommand({ exec: fakeExec(() => partial).exec }).run(["x"], { timeoutMs: 1 })).kind;
    expect(await run({ exitCode: undefined, startError: "ENOENT" })).toBe("not-installed");
    expect(await run({ exitCode: undefined, startError: "EACCES" })).toBe("could-not-start");
    expect(await run({ exitCode: undefined, timedOut: true })).toBe("timed-out");
    expect(await run({ exitCode: 1, stderr: "docker: 'buildx' is not a docker command." })).toBe("refused");
    expect(await run({ exitCode: 1, stderr: "something else" })).toBe("ran");
    expect(await run({ exitCode: 0, stderr: "Cannot connect to the Docker daemon" })).toBe("ran");
  });

  it("asks info once for a client and every withExec copy of it; a failed answer is asked again", async () => {
    let fail = true;
    const { exec, calls } = fakeExec(() => (fail ? { exitCode: 1, stderr: "Cannot connect" } : { stdout: INFO }));
    const command = engineCommand({ context: "ci", exec });
    expect((await command.info(1000)).kind).toBe("refused");
    fail = false;
    const first = await command.info(1000);
    const copy = command.withExec(exec);
    expect(await copy.info(1000)).toBe(first);
    expect(calls).toHaveLength(2);
  });

  it("shares its info answer with core's docker CLI runner when given as its command", async () => {
    const { exec, calls } = fakeExec(() => ({ stdout: INFO }));
    const command = engineCommand({ context: "ci", exec });
    await command.info(1000);
    const runner = createDockerCliRunner({ context: "ci", exec, command });
    expect((await runner.info()).version).toBe("28.0.0");
    expect(calls).toEqual([["docker", "--context", "ci", "info", "--format", "{{json .}}"]]);
  });
});

describe("classifyEngineOutput", () => {
  it.each([
    [
      'Failed to initialize: unable to resolve docker endpoint: context "nope": context not found: open x',
      "no-such-context",
    ],
    ["Cannot connect to the Docker daemon at unix:///var/run/docker.sock", "unreachable"],
    ['ERROR: no builder "qus" found', "no-such-builder"],
    ["Error response from daemon: No such container: c1", "no-such-container"],
    ["Error: No such image: busybox", "no-such-image"],
    ["Error response from daemon: Could not find the file /x in container c1", "no-such-path"],
    ["unknown flag: --bogus", undefined],
  ])("%s is %s", (stderr, failure) => {
    expect(classifyEngineOutput({ exitCode: 1, stdout: "", stderr })).toBe(failure);
  });

  it("reads nothing into a command that succeeded", () => {
    expect(classifyEngineOutput({ exitCode: 0, stdout: "", stderr: "no such image" })).toBeUndefined();
  });

  it("reads buildx's own error line and its create race", () => {
    expect(buildxErrorLine({ stdout: "#1 x\nERROR: first\nERROR: last", stderr: "" })).toBe("ERROR: last");
    expect(isBuilderCreateRace({ stdout: "", stderr: "ERROR: node n not found, did you mean to append?" })).toBe(true);
    expect(buildxPullFailure("#1 pulling image moby/buildkit:x\nERROR: pull access denied")).toEqual({
      image: "moby/buildkit:x",
    });
    expect(
      buildxPullFailure("#1 pulling image moby/buildkit:x done\nERROR: cgroup: permission denied"),
    ).toBeUndefined();
    expect(
      probeStepEnd(
        '#5 0.1 exec /probe: exec format error\nERROR: "/probe" did not complete successfully: exit code: 1',
      ),
    ).toEqual({
      status: 1,
      execLine: "exec /probe: exec format error",
      errno: "exec format error",
    });
    expect(probeStepEnd("ERROR: failed to solve: no such image")).toBeUndefined();
  });
});
