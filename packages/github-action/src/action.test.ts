import { readFileSync } from "node:fs";
import { INPUT_NAMES } from "@qus/ci";
import { describe, expect, it } from "vitest";

const ACTION = readFileSync(new URL("../action.yml", import.meta.url), "utf8");

/** The keys two spaces under a top-level key of action.yml (its inputs, outputs, runs). */
function keysOf(section: string): Record<string, string> {
  const lines = ACTION.split("\n");
  const start = lines.indexOf(`${section}:`);
  if (start < 0) throw new Error(`action.yml has no ${section}`);
  const keys: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const key = /^ {2}([\w-]+):(.*)$/.exec(line);
    if (key?.[1]) keys[key[1]] = (key[2] ?? "").trim();
  }
  return keys;
}

describe("action.yml: the action as the runner reads it", () => {
  it("declares exactly the inputs the step reads", () => {
    expect(Object.keys(keysOf("inputs")).sort()).toEqual([...INPUT_NAMES].sort());
  });

  it("declares the outputs main.ts sets", () => {
    expect(Object.keys(keysOf("outputs"))).toEqual(["platforms", "report", "builder"]);
  });

  it("runs the bundles on node24; the post step always runs", () => {
    expect(keysOf("runs")).toEqual({
      using: "node24",
      main: "dist/main.js",
      post: "dist/post.js",
      "post-if": "always()",
    });
  });
});
