import { readFileSync } from "node:fs";
import { INPUT_DEFAULTS, INPUT_NAMES, type StepOutcome } from "@qus/ci";
import type { Report } from "@qus/core";
import { describe, expect, it } from "vitest";
import { readTaskInputs, TASK_INPUT_NAMES, TASK_INPUTS } from "./inputs.js";
import { failureReason, taskOutputs } from "./messages.js";
import { parseState, serializeState } from "./state.js";

const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
const task = readJson("../task/task.json");
const extension = readJson("../vss-extension.json");

describe("task.json: the task the agent runs", () => {
  it("takes @qus/ci's inputs, under names task.json allows, with the defaults the step assumes", () => {
    expect(Object.keys(TASK_INPUTS)).toEqual([...INPUT_NAMES]);
    expect(task.inputs.map((input: { name: string }) => input.name)).toEqual(TASK_INPUT_NAMES);
    for (const input of task.inputs) expect(input.name).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
    const byName = Object.fromEntries(task.inputs.map((input: { name: string }) => [input.name, input]));
    for (const name of INPUT_NAMES) {
      if (name === "image") continue; // core's installer image, however task.json words it
      expect(byName[TASK_INPUTS[name]].defaultValue ?? "", name).toBe(INPUT_DEFAULTS[name]);
      expect(byName[TASK_INPUTS[name]].required, name).toBe(false);
    }
    expect(byName.platforms).toMatchObject({ type: "multiLine", defaultValue: "all" });
    expect(Object.keys(byName.kernel.options)).toEqual(["auto", "local", "docker"]);
    expect(Object.keys(byName.driver.options)).toEqual(["docker-container", "docker"]);
    expect(byName.driverOpts).toMatchObject({ type: "multiLine" });
    for (const name of ["replace", "buildx", "use", "cleanup"]) expect(byName[name]).toMatchObject({ type: "boolean" });
  });

  it("declares the outputs it sets, and runs its bundles on Node 20 and 24, main and post-job", () => {
    expect(task.OutputVariables.map((output: { name: string }) => output.name)).toEqual([
      "platforms",
      "report",
      "builderName",
    ]);
    for (const handler of ["Node20_1", "Node24"]) {
      expect(task.execution[handler].target).toBe("dist/index.js");
      expect(task.postjobexecution[handler].target).toBe("dist/post.js");
    }
    expect(task).toMatchObject({ name: "qus", category: "Utility", version: { Major: 0, Minor: 1 } });
  });

  it("is the extension's one contribution, at the extension's version", () => {
    expect(extension.version).toBe(`${task.version.Major}.${task.version.Minor}.${task.version.Patch}`);
    expect(extension.files).toEqual([{ path: "task" }]);
    expect(extension.contributions).toEqual([
      expect.objectContaining({ type: "ms.vss-distributed-task.task", properties: { name: "task" } }),
    ]);
  });
});

describe("readTaskInputs: the agent's inputs under @qus/ci's names", () => {
  it("maps builderName and driverOpts; booleans as the user wrote them", () => {
    const values: Record<string, string> = {
      platforms: "arm64\nriscv64",
      builderName: "multi",
      driverOpts: "network=host",
      cleanup: "false",
    };
    expect(readTaskInputs((name) => values[name])).toMatchObject({
      platforms: ["arm64", "riscv64"],
      name: "multi",
      driverOpts: ["network=host"],
      buildx: true,
      cleanup: false,
      use: true,
      replace: false,
    });
    expect(() => readTaskInputs((name) => ({ platforms: "arm64", replace: "yes" })[name])).toThrow(
      'the input replace is "yes"',
    );
  });

  it("with nothing given: all platforms, kernel auto, cleanup on", () => {
    expect(readTaskInputs(() => undefined)).toMatchObject({ platforms: ["all"], kernel: "auto", cleanup: true });
  });

  it("driver as the kernel (its earlier meaning) is refused, naming kernel", () => {
    expect(() => readTaskInputs((name) => ({ driver: "local" })[name])).toThrow(
      expect.objectContaining({ hint: "to choose the kernel to set up, write kernel: local" }),
    );
  });
});

describe("what the task tells the agent", () => {
  const failure = { platform: "linux/riscv64", message: "a stale entry", hint: "set replace: true" };

  it("outputs: the verified platforms, the report as one line, the builder or empty", () => {
    const outcome = { verified: ["linux/arm64", "linux/riscv64"], report: { ok: true } as unknown as Report };
    expect(taskOutputs(outcome as unknown as StepOutcome)).toEqual({
      platforms: "linux/arm64,linux/riscv64",
      report: '{"ok":true}',
      builderName: "",
    });
  });

  it("a failure names each platform, why, and the hint", () => {
    expect(failureReason([failure])).toBe(
      "qus: 1 platform does not run: linux/riscv64: a stale entry (hint: set replace: true)",
    );
    expect(failureReason([failure, { platform: "linux/s390x", message: "no QEMU" }])).toBe(
      "qus: 2 platforms do not run: linux/riscv64: a stale entry (hint: set replace: true); linux/s390x: no QEMU",
    );
  });
});

describe("the state the post-job step reads", () => {
  it("round-trips, and is undefined when the main step saved none", () => {
    const state = { kernel: "docker", registered: ["aarch64"], createdBuilder: "multi", cleanup: true } as const;
    expect(parseState(serializeState(state))).toEqual(state);
    expect(parseState(undefined)).toBeUndefined();
    expect(parseState("")).toBeUndefined();
  });

  it("refuses what qus did not save", () => {
    expect(() => parseState("{")).toThrow("is not JSON");
    expect(() => parseState('{"kernel":"podman","registered":[],"cleanup":true}')).toThrow("is not a state qus saved");
    expect(() => parseState('{"kernel":"local","registered":["--all"],"cleanup":true}')).toThrow(
      "is not a state qus saved",
    );
  });
});
