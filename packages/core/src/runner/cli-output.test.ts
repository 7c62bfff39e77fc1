import { describe, expect, it } from "vitest";
import type { ExecResult } from "../exec.js";
import { cliNotStarted, cliOutcome } from "./cli-output.js";

const ended = (exitCode: number | undefined, stdout = "", stderr = "", more: Partial<ExecResult> = {}): ExecResult => ({
  exitCode,
  signal: undefined,
  stdout,
  stderr,
  startError: undefined,
  timedOut: false,
  ...more,
});

// What `docker run` / `docker start --attach` printed (docker 24 and runc 1.1 here; older runc and crun worded alike).
const NO_SUCH_IMAGE =
  "Unable to find image 'x:latest' locally\ndocker: Error response from daemon: No such image: x:latest.";
const CAPS =
  "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown.";
const NO_BUSYBOX =
  'docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/bin/busybox": stat /bin/busybox: no such file or directory: unknown.';

describe("cliOutcome: the docker and podman CLIs' statuses and words, typed once", () => {
  it("a program that ran: its own status and output, whatever the status", () => {
    expect(cliOutcome(ended(0, "done"), "docker")).toEqual({ kind: "ran", exitCode: 0, stdout: "done", stderr: "" });
    expect(cliOutcome(ended(3, "", "oops"), "docker")).toEqual({
      kind: "ran",
      exitCode: 3,
      stdout: "",
      stderr: "oops",
    });
    // 127 with output of its own: the program's shell did not find a command, docker did start it.
    expect(cliOutcome(ended(127, "mounted", "sh: x: not found"), "docker").kind).toBe("ran");
  });

  it.each([
    [125, NO_SUCH_IMAGE, "no-such-image"],
    [125, CAPS, "refused"],
    [127, NO_BUSYBOX, "not-found"],
    [126, "docker: Error response from daemon: exec format error: unknown.", "exec-format"],
    [125, "docker: Error response from daemon: Conflict. The container name is already in use.", "other"],
  ] as const)(
    "status %i with the engine's words and nothing from the program: not started, %s",
    (status, words, reason) => {
      const outcome = cliOutcome(ended(status, "", words), "docker");
      expect(outcome).toMatchObject({ kind: "not-started", reason });
      expect(outcome.kind === "not-started" && outcome.detail).not.toMatch(/for more information/);
    },
  );

  it("the runtime's one line after the start (runc's, older runc's, crun's): not started, whatever the status", () => {
    const lines = [
      [1, "exec /qus-program: exec format error", "exec-format"],
      [255, "exec /qus-program: no such file or directory", "not-found"],
      [1, "standard_init_linux.go:228: exec user process caused: exec format error", "exec-format"],
      [126, '{"msg":"exec container process `/qus-program`: Exec format error","level":"error"}', "exec-format"],
    ] as const;
    for (const [status, line, reason] of lines) {
      expect(cliOutcome(ended(status, "", line), "podman")).toMatchObject({
        kind: "not-started",
        reason,
        detail: line,
      });
    }
  });

  it("killed by the engine (137, 143) or the client killed: interrupted; past its bound: timed out", () => {
    expect(cliOutcome(ended(137, "mounted"), "docker")).toEqual({
      kind: "interrupted",
      detail: "status 137",
      stdout: "mounted",
      stderr: "",
    });
    expect(cliOutcome(ended(undefined, "", "", { signal: "SIGKILL" }), "docker")).toMatchObject({
      kind: "interrupted",
      detail: "the docker client was killed by SIGKILL",
    });
    expect(cliOutcome(ended(undefined, "kernel", "", { signal: "SIGKILL", timedOut: true }), "docker")).toEqual({
      kind: "timed-out",
      stdout: "kernel",
      stderr: "",
    });
  });

  it("a create or cp that failed: not started, for the reason its words give", () => {
    expect(cliNotStarted(ended(125, "", "Error: No such image: x"))).toEqual({
      kind: "not-started",
      reason: "no-such-image",
      detail: "Error: No such image: x",
    });
  });
});
