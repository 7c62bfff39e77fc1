import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execProcess } from "../exec.js";
import { localEngineApi } from "./engine-api.js";
import { engineCommand } from "./engine-command.js";
import { parsePodmanInfo } from "./podman-cli.js";

// A stand-in Engine API on a unix socket (DOCKER_HOST=unix://...): no docker engine involved.
const folder = mkdtempSync(join(tmpdir(), "qus-engine-api-"));
const socket = join(folder, "docker.sock");
const asked: string[] = [];
let server: Server;
const saved = { host: process.env.DOCKER_HOST, config: process.env.DOCKER_CONFIG };

beforeAll(async () => {
  server = createServer((req, res) => {
    asked.push(req.url ?? "");
    if (req.url === "/info")
      return res.end(JSON.stringify({ ServerVersion: "27.1", Architecture: "x86_64", ID: "E1" }));
    if (req.url === "/images/ghcr.io/qus/qus-binfmt%3A1.0/json")
      return res.end(JSON.stringify({ Config: { Labels: { a: "b" } } }));
    if (req.url === "/images/plain%3A1/json") return res.end(JSON.stringify({ Config: {} }));
    res.statusCode = 404;
    res.end('{"message":"No such image"}');
  });
  await new Promise<void>((done) => server.listen(socket, done));
  process.env.DOCKER_HOST = `unix://${socket}`;
  process.env.DOCKER_CONFIG = folder;
});
afterAll(async () => {
  process.env.DOCKER_HOST = saved.host;
  process.env.DOCKER_CONFIG = saved.config;
  if (saved.host === undefined) delete process.env.DOCKER_HOST;
  if (saved.config === undefined) delete process.env.DOCKER_CONFIG;
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
  rmSync(folder, { recursive: true, force: true });
});

describe("the local engine's API, asked for info and an image's labels", () => {
  it("answers in the CLI's shapes: info with the client's context, labels as JSON, null when none", async () => {
    const api = localEngineApi("docker", []);
    const info = await api?.info(5000);
    expect(info?.kind).toBe("ran");
    expect(JSON.parse(info?.result.stdout ?? "")).toMatchObject({
      ServerVersion: "27.1",
      ClientInfo: { Context: "default" },
    });
    expect(JSON.parse((await api?.imageLabels("ghcr.io/qus/qus-binfmt:1.0", 5000))?.result.stdout ?? "")).toEqual({
      a: "b",
    });
    expect((await api?.imageLabels("plain:1", 5000))?.result.stdout).toBe("null");
  });

  it("a missing image is the CLI's refusal, in its words", async () => {
    const missing = await localEngineApi("docker", [])?.imageLabels("absent:1", 5000);
    expect(missing).toMatchObject({ kind: "refused", failure: "no-such-image" });
    expect(missing?.result.stderr).toMatch(/No such image: absent:1/);
  });

  it("docker only at its default endpoint: a context or a host goes through the CLI", () => {
    expect(localEngineApi("docker", ["--context", "x"])).toBeUndefined();
    expect(localEngineApi("docker", ["--host", "tcp://127.0.0.1:2375"])).toBeUndefined();
  });

  it("the engine command asks the API when processes run for real, and never when the caller passes its own exec", async () => {
    asked.length = 0;
    const real = engineCommand({ exec: execProcess });
    expect((await real.info(5000)).kind).toBe("ran");
    expect(asked).toEqual(["/info"]);
    const calls: string[][] = [];
    const fake = engineCommand({
      exec: async (_program, args) => {
        calls.push([...args]);
        return { exitCode: 0, signal: undefined, stdout: "{}", stderr: "", startError: undefined, timedOut: false };
      },
    });
    await fake.imageLabels("plain:1", 5000);
    expect(calls).toEqual([["image", "inspect", "--format", "{{json .Config.Labels}}", "--", "plain:1"]]);
    expect(asked).toEqual(["/info"]);
  });
});

describe("this machine's podman, without podman info (a stand-in podman on PATH prints its version)", () => {
  it("its facts from this machine and `podman version`, in podman info's shape", async () => {
    const bin = mkdtempSync(join(tmpdir(), "qus-fake-podman-"));
    writeFileSync(join(bin, "podman"), '#!/bin/sh\n[ "$1" = version ] && echo 4.9.3\n');
    chmodSync(join(bin, "podman"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const info = await localEngineApi("podman", [])?.info(5000);
      expect(info?.kind).toBe("ran");
      const facts = parsePodmanInfo(info?.result.stdout ?? "", "the default endpoint");
      expect(facts.info).toMatchObject({ version: "4.9.3", rootless: process.getuid?.() !== 0 });
      expect(facts.info.cpu).toBe(process.arch === "x64" ? "x86_64" : facts.info.cpu);
    } finally {
      process.env.PATH = path;
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("a connection or CONTAINER_HOST is a podman elsewhere: asked with podman info", () => {
    expect(localEngineApi("podman", ["--connection", "remote"])).toBeUndefined();
    process.env.CONTAINER_HOST = "ssh://core@host/run/podman/podman.sock";
    try {
      expect(localEngineApi("podman", [])).toBeUndefined();
    } finally {
      delete process.env.CONTAINER_HOST;
    }
  });
});
