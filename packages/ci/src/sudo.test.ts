import { QusError } from "@qus/core";
import type { Exec, ExecResult } from "@qus/core/runner";
import { renderErrorJson } from "@qus/core/toolkit";
import { describe, expect, it } from "vitest";
import { runQusAsRoot } from "./sudo.js";

// The sudo'd CLI is a fake Exec here (no root, no sudo in unit tests): what it prints is what `qus --json` prints.
const printing =
  (stdout: string, exitCode = 0, stderr = ""): Exec =>
  async (): Promise<ExecResult> => ({
    exitCode,
    signal: undefined,
    stdout,
    stderr,
    startError: undefined,
    timedOut: false,
  });

describe("runQusAsRoot (sudo faked)", () => {
  it("the CLI's JSON error comes back as the QusError it was, from data, not from its words on stderr", async () => {
    const error = { code: "QUS_BINFMT_READONLY", kind: "environment", message: "read-only", hint: "remount it" };
    const json = JSON.stringify({ schemaVersion: 1, ok: false, exitCode: 3, error });
    await expect(runQusAsRoot(printing(json, 3, "qus: error QUS_OTHER: words"), "/qus.js", [])).rejects.toMatchObject({
      code: "QUS_BINFMT_READONLY",
      message: "read-only",
      hint: "remount it",
    });
  });

  it("what the CLI's one error renderer writes is read back by the same module: code, message and hint kept", async () => {
    const printed = renderErrorJson(new QusError("QUS_KERNEL_NO_F_FLAG", "no F flag", { hint: "a newer kernel" }));
    await expect(runQusAsRoot(printing(printed, 3), "/qus.js", [])).rejects.toMatchObject({
      name: "QusError",
      code: "QUS_KERNEL_NO_F_FLAG",
      message: "no F flag",
      hint: "a newer kernel",
    });
  });

  it("a report is returned as it is", async () => {
    const report = { schemaVersion: 1, command: "ensure", ok: true, platforms: [] };
    await expect(runQusAsRoot(printing(JSON.stringify(report)), "/qus.js", [])).resolves.toEqual(report);
  });

  it("output that is not JSON: QUS_EXEC_FAILED with the status and stderr", async () => {
    await expect(runQusAsRoot(printing("garbage", 1, "boom"), "/qus.js", [])).rejects.toMatchObject({
      code: "QUS_EXEC_FAILED",
      message: expect.stringContaining("(status 1): boom"),
    });
  });
});
