import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCommand, quoteShellArg } from "./shell-quote.js";

describe("quoteShellArg", () => {
  it("leaves plain words alone", () => {
    expect(formatCommand(["qus", "ensure", "--platforms", "linux/arm64,linux/s390x"])).toBe(
      "qus ensure --platforms linux/arm64,linux/s390x",
    );
  });

  it("quotes what a shell would expand", () => {
    expect(quoteShellArg("bad name;$(id)")).toBe("'bad name;$(id)'");
    expect(quoteShellArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteShellArg("")).toBe("''");
  });

  it("gives back every string unchanged through a real shell", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: "binary" }).filter((s) => !s.includes("\0")),
          { maxLength: 4 },
        ),
        (args) => {
          const printed = execFileSync("sh", ["-c", `printf '%s\\0' ${formatCommand(args)} x`], { encoding: "utf8" });
          expect(printed.split("\0").slice(0, -2)).toEqual(args);
        },
      ),
      { numRuns: 60 },
    );
  });
});
