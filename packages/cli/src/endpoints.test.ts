import { QusError, type Report } from "@qus/core";
import { describe, expect, it } from "vitest";
import { contextsOf, dockerHostsOf, exitCodeForEndpoints, renderEndpoints } from "./endpoints.js";

const report = (ok: boolean): Report =>
  ({
    schemaVersion: 1,
    operation: "ensure",
    driver: "docker",
    ok,
    dryRun: false,
    kernel: { release: "6.1", binfmtMounted: true, mountedByQus: false },
    platforms: [],
    warnings: [],
  }) as unknown as Report;

describe("several engines in one run", () => {
  it("--context: a comma list, each name once, none empty", () => {
    expect(contextsOf(undefined)).toEqual([]);
    expect(contextsOf("default")).toEqual(["default"]);
    expect(contextsOf("default, arm-box")).toEqual(["default", "arm-box"]);
    expect(() => contextsOf("a,,b")).toThrow(/empty name/);
    expect(() => contextsOf("a,b,a")).toThrow(/names "a" twice/);
  });

  it("DOCKER_HOST: one address is left to docker; a list must be addresses", () => {
    expect(dockerHostsOf(undefined)).toEqual([]);
    expect(dockerHostsOf("tcp://arm-box:2376")).toEqual([]);
    expect(dockerHostsOf("unix:///var/run/docker.sock, tcp://arm-box:2376")).toEqual([
      "unix:///var/run/docker.sock",
      "tcp://arm-box:2376",
    ]);
    expect(() => dockerHostsOf("unix:///var/run/docker.sock,arm-box")).toThrow(/not a list of engine addresses/);
    expect(() => dockerHostsOf("tcp://a:1,tcp://a:1")).toThrow(/names "tcp:\/\/a:1" twice/);
  });

  it("the exit code is the gravest: an engine's environment error over a platform that is not ok", () => {
    expect(exitCodeForEndpoints([{ context: "a", report: report(true) }])).toBe(0);
    expect(
      exitCodeForEndpoints([
        { context: "a", report: report(true) },
        { context: "b", report: report(false) },
      ]),
    ).toBe(1);
    const unreachable = new QusError("QUS_ENGINE_UNREACHABLE", "no answer");
    expect(
      exitCodeForEndpoints([
        { context: "a", report: report(false) },
        { context: "b", error: unreachable },
      ]),
    ).toBe(3);
  });

  it("one section per engine in the order named, and a verdict; JSON names hosts as hosts", () => {
    const outcomes = [
      { context: "a", report: report(true) },
      {
        context: "tcp://b:2376",
        kind: "host" as const,
        error: new QusError("QUS_ENGINE_UNREACHABLE", "no answer", { hint: "start it" }),
      },
    ];
    const text = renderEndpoints(outcomes, { json: false, markdown: false, color: false });
    expect(text).toMatch(/^context a:\n/);
    expect(text).toMatch(/^host tcp:\/\/b:2376:\nqus: error QUS_ENGINE_UNREACHABLE: no answer\nhint: start it$/m);
    expect(text.trimEnd().split("\n").at(-1)).toBe("1 of 2 engines not ok: tcp://b:2376");
    const json = JSON.parse(renderEndpoints(outcomes, { json: true, markdown: false, color: false }));
    expect(json.ok).toBe(false);
    expect(json.endpoints[0]).toMatchObject({ context: "a", ok: true });
    expect(json.endpoints[1]).toEqual({
      host: "tcp://b:2376",
      ok: false,
      error: { code: "QUS_ENGINE_UNREACHABLE", kind: "environment", message: "no answer", hint: "start it" },
    });
  });
});
