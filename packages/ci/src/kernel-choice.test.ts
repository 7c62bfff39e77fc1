import type { Exec, ExecResult } from "@qus/core/runner";
import { describe, expect, it } from "vitest";
import { chooseKernel } from "./kernel-choice.js";

/** An exec that answers `sudo -n true` and `docker info` as told: no process runs. */
function machine(answers: { sudo: boolean; engineKernel?: string }): Exec {
  return async (file, args): Promise<ExecResult> => {
    const result = { signal: undefined, stderr: "", startError: undefined, timedOut: false } as const;
    if (file === "sudo") return { ...result, exitCode: answers.sudo ? 0 : 1, stdout: "" };
    if (file === "docker" && args.includes("info")) {
      if (answers.engineKernel === undefined) {
        return { ...result, exitCode: 1, stdout: "", stderr: "Cannot connect to the Docker daemon" };
      }
      const info = { ServerVersion: "28.0.1", KernelVersion: answers.engineKernel, Architecture: "x86_64" };
      return { ...result, exitCode: 0, stdout: JSON.stringify(info) };
    }
    throw new Error(`unexpected ${file} ${args.join(" ")}`);
  };
}

describe("chooseKernel (kernel: auto)", () => {
  const release = "6.8.0-1021-azure";

  it("a hosted runner: sudo works and the engine runs on this kernel: this machine's, no image to pull", async () => {
    const exec = machine({ sudo: true, engineKernel: release });
    expect(await chooseKernel({ exec, isRoot: false, release })).toEqual({ kernel: "local", engine: true });
  });

  it("root with no engine at all: this machine's", async () => {
    const exec = machine({ sudo: false });
    expect(await chooseKernel({ exec, isRoot: true, release })).toEqual({ kernel: "local", engine: false });
  });

  it("an engine on another kernel (a remote DOCKER_HOST, a VM): the engine's, even as root", async () => {
    const exec = machine({ sudo: true, engineKernel: "6.10.14-linuxkit" });
    expect(await chooseKernel({ exec, isRoot: true, release })).toEqual({ kernel: "docker", engine: true });
  });

  it("no root and no sudo: the engine's when one answers, else this machine's (whose set-up says what it lacks)", async () => {
    expect(
      await chooseKernel({ exec: machine({ sudo: false, engineKernel: release }), isRoot: false, release }),
    ).toEqual({ kernel: "docker", engine: true });
    expect(await chooseKernel({ exec: machine({ sudo: false }), isRoot: false, release })).toEqual({
      kernel: "local",
      engine: false,
    });
  });
});
