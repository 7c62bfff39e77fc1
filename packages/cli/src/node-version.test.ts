import { exitCodeOf } from "@qus/core";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain JavaScript beside bin/qus.js, with JSDoc types only
import { MIN_NODE_MAJOR, nodeTooOld } from "../bin/node-version.js";

describe("bin/qus.js on an old Node.js", () => {
  it("refuses Node.js before 22 with a QUS_NODE_TOO_OLD error that names the version, the binary and the fix", () => {
    const text = nodeTooOld("20.20.2", "/usr/bin/node") as string;
    expect(text).toBe(
      "qus: error QUS_NODE_TOO_OLD: qus needs Node.js 22 or later, and this is Node.js 20.20.2 (/usr/bin/node)\n" +
        "hint: install Node.js 22 or later (nodejs.org, or your distribution's nodejs package), then run qus again\n",
    );
    expect(exitCodeOf("QUS_NODE_TOO_OLD")).toBe(3);
  });

  it("runs on 22 and later, the minimum package.json's engines names", async () => {
    expect(nodeTooOld("22.0.0", "/n")).toBeUndefined();
    expect(nodeTooOld("24.21.0", "/n")).toBeUndefined();
    const { engines } = (await import("../package.json", { with: { type: "json" } })).default as {
      engines: { node: string };
    };
    expect(engines.node).toBe(`>=${MIN_NODE_MAJOR}`);
  });
});
