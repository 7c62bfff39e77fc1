import { PassThrough, type Writable } from "node:stream";
import type Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import { createEngineRunner } from "./engine-runner.js";

/** How the fake engine answers one container: a refusal at create or start, else its output and status. */
interface Answer {
  readonly create?: object;
  readonly start?: object;
  readonly stdout?: string;
  readonly stderr?: string;
  readonly status?: number;
}

/** A dockerode that answers one container from memory (no engine), recording its removal. */
function fakeDockerode(answer: Answer) {
  const removed: string[] = [];
  const container = {
    id: "c0ffee",
    attach: async () => new PassThrough(),
    wait: () => new Promise((resolve) => setTimeout(() => resolve({ StatusCode: answer.status ?? 0 }), 5)),
    start: async () => {
      if (answer.start) throw answer.start;
    },
    remove: async () => {
      removed.push("helper");
    },
    putArchive: async () => undefined,
  };
  const dockerode = {
    createContainer: async () => {
      if (answer.create) throw answer.create;
      return container;
    },
    modem: {
      // The engine's multiplexed stream, as the program wrote it; then the stream ends.
      demuxStream(stream: PassThrough, stdout: Writable, stderr: Writable) {
        stdout.write(answer.stdout ?? "");
        stderr.write(answer.stderr ?? "");
        setTimeout(() => stream.destroy(), 1);
      },
    },
  } as unknown as Dockerode;
  return { runner: createEngineRunner(dockerode, { endpoint: "unix:///fake.sock" }), removed };
}

const SPEC = { image: "x", command: ["y"], needsBinfmtMount: false, privilege: "full" } as const;
const PROGRAM_SPEC = { image: "x", needsBinfmtMount: false, privilege: "full" } as const;
const refusal = (statusCode: number, message: string) => ({
  statusCode,
  json: { message },
  message: `(HTTP code ${statusCode}) server error - ${message}`,
});

describe("the Engine API runner types how a container ended, from the engine's answers (fake dockerode)", () => {
  it("a program that ran: its status and output, the container removed", async () => {
    const { runner, removed } = fakeDockerode({ stdout: "done\n", stderr: "warning\n", status: 3 });
    expect(await runner.run(SPEC)).toEqual({ kind: "ran", exitCode: 3, stdout: "done\n", stderr: "warning\n" });
    expect(removed).toEqual(["helper"]);
  });

  it("an image the engine does not have (404 at create): not started, no-such-image, with its words", async () => {
    const { runner } = fakeDockerode({ create: refusal(404, "No such image: x:latest") });
    expect(await runner.run(SPEC)).toEqual({
      kind: "not-started",
      reason: "no-such-image",
      detail: "Error response from daemon: No such image: x:latest",
    });
  });

  it("a start the runtime refused: exec-format, refused or not-found from its words, never a status", async () => {
    const cases = [
      ["runc create failed: unable to start container process: exec: /qus-program: exec format error", "exec-format"],
      ["unable to start container process: unable to apply caps: operation not permitted: unknown", "refused"],
      ['exec: "/bin/busybox": stat /bin/busybox: no such file or directory: unknown', "not-found"],
      ["something else entirely", "other"],
    ] as const;
    for (const [words, reason] of cases) {
      const { runner, removed } = fakeDockerode({ start: refusal(400, words) });
      expect(await runner.runProgram(PROGRAM_SPEC, new Uint8Array([1]))).toMatchObject({ kind: "not-started", reason });
      expect(removed).toEqual(["helper"]);
    }
  });

  it("a program the runtime could not exec after the start (its one line, nothing from the program): not started", async () => {
    const { runner } = fakeDockerode({ stderr: "exec /qus-program: exec format error\n", status: 255 });
    expect(await runner.runProgram(PROGRAM_SPEC, new Uint8Array([1]))).toEqual({
      kind: "not-started",
      reason: "exec-format",
      detail: "exec /qus-program: exec format error",
    });
  });

  it("a program that printed the same words itself, with output of its own: it ran", async () => {
    const { runner } = fakeDockerode({ stdout: "mounted\n", stderr: "exec /x: exec format error\n", status: 1 });
    expect(await runner.run(SPEC)).toMatchObject({ kind: "ran", exitCode: 1 });
  });

  it("a container the engine killed (137, 143): interrupted, with its output", async () => {
    for (const status of [137, 143]) {
      const { runner } = fakeDockerode({ stdout: "mounted\n", status });
      expect(await runner.run(SPEC)).toEqual({
        kind: "interrupted",
        detail: `status ${status}`,
        stdout: "mounted\n",
        stderr: "",
      });
    }
  });
});
