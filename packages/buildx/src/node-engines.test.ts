import type { Exec, ExecResult } from "@qus/core/runner";
import { describe, expect, it } from "vitest";
import type { BuilderNode } from "./inspect.js";
import { otherNodeEngines } from "./node-engines.js";

const node = (name: string, endpoint: string): BuilderNode => ({
  name,
  status: "running",
  endpoint,
  platforms: [],
  preferred: [],
  errors: [],
});

describe("otherNodeEngines", () => {
  it("asks each other endpoint's engine its ID once, and keeps the answer on the seam its runner gets", async () => {
    const calls: string[][] = [];
    const ids: Record<string, string> = { "arm-box": "ARM", "tcp://x:2376": "MAIN" };
    const exec: Exec = async (file, args): Promise<ExecResult> => {
      calls.push([file, ...args]);
      const id = ids[args[1] ?? ""];
      return {
        exitCode: 0,
        signal: undefined,
        stdout: JSON.stringify({ ID: id, ServerVersion: "28.0.0" }),
        stderr: "",
        startError: undefined,
        timedOut: false,
      };
    };
    const engine = { context: "default", serverVersion: "28.0.0", id: "MAIN", containerdStore: false };
    const nodes = [node("n0", "default"), node("n1", "arm-box"), node("n2", "arm-box"), node("n3", "tcp://x:2376")];
    const others = await otherNodeEngines(nodes, engine, exec, 1000);
    // tcp://x:2376 is the main engine by another name: not another engine.
    expect(others.map(({ node: name, endpoint }) => [name, endpoint])).toEqual([["n1", "arm-box"]]);
    expect(calls).toEqual([
      ["docker", "--context", "arm-box", "info", "--format", "{{json .}}"],
      ["docker", "--host", "tcp://x:2376", "info", "--format", "{{json .}}"],
    ]);
    await others[0]?.command.info(1000);
    expect(calls).toHaveLength(2);
  });
});
