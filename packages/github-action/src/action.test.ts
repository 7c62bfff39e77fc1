import { readFileSync } from "node:fs";
import { INPUT_DEFAULTS, INPUT_NAMES, readStepInputs } from "@qus/ci";
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

/** Each input's `default:` as action.yml declares it ("" for none), quotes removed. */
function inputDefaults(): Record<string, string> {
  const defaults: Record<string, string> = {};
  let input: string | undefined;
  for (const line of ACTION.slice(ACTION.indexOf("inputs:\n"), ACTION.indexOf("outputs:\n")).split("\n")) {
    const key = /^ {2}([\w-]+):$/.exec(line);
    if (key?.[1]) {
      input = key[1];
      defaults[input] = "";
    }
    const value = /^ {4}default: (.*)$/.exec(line);
    if (input && value?.[1] !== undefined) defaults[input] = value[1].replace(/^"(.*)"$/, "$1");
  }
  return defaults;
}

describe("action.yml: the action as the runner reads it", () => {
  it("declares exactly the inputs the step reads", () => {
    expect(Object.keys(keysOf("inputs")).sort()).toEqual([...INPUT_NAMES].sort());
  });

  it("declares the defaults the step assumes when an input is not given (a runner passes action.yml's)", () => {
    // The image's default is core's installer image, whether action.yml spells it or leaves it to core.
    const { image: _image, ...declared } = inputDefaults();
    const { image: _core, ...assumed } = INPUT_DEFAULTS;
    expect(declared).toEqual(assumed);
    // As the actions it replaces: every platform, a docker-container builder that is used, cleaned up after.
    expect(inputDefaults()).toMatchObject({
      platforms: "all",
      kernel: "auto",
      driver: "docker-container",
      use: "true",
      cleanup: "true",
    });
    expect(readStepInputs((name) => declared[name as keyof typeof declared])).toEqual(readStepInputs(() => undefined));
  });

  it("declares the outputs main.ts sets: name as setup-buildx-action's, and qus's platforms and report", () => {
    expect(Object.keys(keysOf("outputs"))).toEqual(["name", "platforms", "report"]);
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
