import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseInspect } from "./inspect.js";

const FIXTURES = new URL("../test-fixtures/", import.meta.url);

/** A recorded `docker buildx inspect` output, without its `# source:` header line. */
function recorded(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("# "))
    .join("\n");
}

describe("parseInspect on this machine's default builder (recorded: docker driver, BuildKit v0.8)", () => {
  const stdout = recorded("inspect-default-docker.txt");

  it("reads the builder, its one node and every detected platform, none preferred", () => {
    expect(parseInspect(stdout)).toEqual({
      name: "default",
      driver: "docker",
      nodes: [
        {
          name: "default",
          status: "running",
          endpoint: "default",
          buildkit: "v0.8+unknown",
          platforms: [
            "linux/amd64",
            "linux/arm64",
            "linux/riscv64",
            "linux/ppc64le",
            "linux/s390x",
            "linux/386",
            "linux/arm/v7",
            "linux/arm/v6",
          ],
          preferred: [],
          errors: [],
        },
      ],
    });
  });
});

describe("parseInspect with starred (preferred) platforms: docker-container builder from buildx's docs", () => {
  const stdout = recorded("inspect-docs-elated-tesla.txt");

  it("reads builder, driver and node", () => {
    const info = parseInspect(stdout);
    expect(info.name).toBe("elated_tesla");
    expect(info.driver).toBe("docker-container");
    expect(info.nodes).toHaveLength(1);
    expect(info.nodes[0]).toMatchObject({
      name: "elated_tesla0",
      status: "running",
      endpoint: "unix:///var/run/docker.sock",
      buildkit: "v0.10.6",
      errors: [],
    });
  });

  it("keeps ALL platforms, stars removed, and lists the starred ones as preferred", () => {
    const node = parseInspect(stdout).nodes[0];
    expect(node?.platforms).toEqual(["linux/arm64", "linux/arm/v7", "linux/arm/v6"]);
    expect(node?.preferred).toEqual(["linux/arm64"]);
  });
});

describe("parseInspect on a two-node docker-container builder (buildx docs, older key names)", () => {
  const stdout = recorded("inspect-docs-two-nodes.txt");

  it("reads each node with its own platforms and preferred ones", () => {
    const info = parseInspect(stdout);
    expect(info).toMatchObject({ name: "elated_tesla", driver: "docker-container" });
    expect(info.nodes.map((node) => [node.name, node.status, node.buildkit, node.endpoint])).toEqual([
      ["elated_tesla0", "running", "v0.10.3", "unix:///var/run/docker.sock"],
      ["elated_tesla1", "running", "v0.10.3", "ssh://ubuntu@1.2.3.4"],
    ]);
    expect(info.nodes[0]).toMatchObject({ platforms: ["linux/amd64"], preferred: [] });
    expect(info.nodes[1]).toMatchObject({
      platforms: ["linux/arm64", "linux/arm/v7", "linux/arm/v6"],
      preferred: ["linux/arm64"],
    });
  });
});

describe("parseInspect on a node that failed (buildx issue #174)", () => {
  const stdout = recorded("inspect-node-error.txt");

  it("collects the node's Error: line, colons and all; status unknown, no platforms", () => {
    const info = parseInspect(stdout);
    expect(info).toMatchObject({ name: "linuxbuilder", driver: "docker-container" });
    expect(info.nodes).toEqual([
      {
        name: "linuxbuilder0",
        status: "unknown",
        endpoint: "tcp://linuxbuilder:2375",
        buildkit: undefined,
        platforms: [],
        preferred: [],
        errors: [
          "error during connect: Get http://linuxbuilder:2375/v1.24/containers/buildx_buildkit_linuxbuilder0/json: dial tcp: lookup linuxbuilder: no such host",
        ],
      },
    ]);
  });
});

describe("parseInspect on a three-node remote builder (actions-toolkit fixture inspect10.txt)", () => {
  const stdout = recorded("inspect-toolkit-remote.txt");

  it("reads an inactive node with an empty Platforms line, and nodes where every platform is starred", () => {
    const info = parseInspect(stdout);
    expect(info).toMatchObject({ name: "remote-builder", driver: "remote" });
    expect(info.nodes.map((node) => [node.name, node.status])).toEqual([
      ["remote-builder0", "inactive"],
      ["aws_graviton2", "running"],
      ["linuxone_s390x", "running"],
    ]);
    expect(info.nodes[0]).toMatchObject({ platforms: [], preferred: [], errors: [] });
    const all = ["darwin/arm64", "linux/arm64", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7", "windows/arm64"];
    expect(info.nodes[1]).toMatchObject({ platforms: all, preferred: all, buildkit: "v0.11.6" });
    expect(info.nodes[2]).toMatchObject({ platforms: ["linux/s390x"], preferred: ["linux/s390x"] });
  });
});

describe("parseInspect: what belongs to which node", () => {
  it("indented Name: lines under Devices are devices, not nodes (actions-toolkit fixture inspect12.txt)", () => {
    const info = parseInspect(recorded("inspect-toolkit-devices.txt"));
    expect(info).toMatchObject({ name: "nvidia", driver: "docker-container" });
    expect(info.nodes.map((node) => [node.name, node.status, node.buildkit])).toEqual([
      ["nvidia0", "running", "v0.20.0-rc2-4-gd30d8e22c.m"],
    ]);
    expect(info.nodes[0]?.platforms).toHaveLength(10);
  });

  it("a device on the first node does not shift the next node's platforms", () => {
    // inspect12's node (with two devices) followed by a second node: real blocks, joined as buildx prints nodes.
    const [head = "", firstNode = ""] = recorded("inspect-toolkit-devices.txt").split("Nodes:\n");
    const secondNode = recorded("inspect-docs-two-nodes.txt").split("\n\n").at(-1) ?? "";
    const info = parseInspect(`${head}Nodes:\n${firstNode.trimEnd()}\n\n${secondNode}`);
    expect(info.nodes.map((node) => node.name)).toEqual(["nvidia0", "elated_tesla1"]);
    expect(info.nodes[1]?.platforms).toEqual(["linux/arm64", "linux/arm/v7", "linux/arm/v6"]);
  });

  it("nothing before Nodes: is a node's; an empty output has no nodes", () => {
    expect(parseInspect("Name:   x\nDriver: docker\nError:  boom\n")).toEqual({
      name: "x",
      driver: "docker",
      nodes: [],
    });
    expect(parseInspect("")).toEqual({ name: "", driver: "", nodes: [] });
  });

  it("Windows line endings read as Unix ones", () => {
    const stdout = recorded("inspect-docs-two-nodes.txt");
    expect(parseInspect(stdout.replaceAll("\n", "\r\n"))).toEqual(parseInspect(stdout));
  });
});
