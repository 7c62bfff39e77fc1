import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DEFAULT_DOCKER_SOCKET, getFromSocket, localDockerSocket } from "./docker-socket.js";

describe("localDockerSocket", () => {
  const home = mkdtempSync(join(tmpdir(), "qus-socket-home-"));
  afterEach(() => rmSync(join(home, ".docker"), { recursive: true, force: true }));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("is the default socket when nothing points the CLI elsewhere", () => {
    expect(localDockerSocket({}, { HOME: home })).toBe(DEFAULT_DOCKER_SOCKET);
  });

  it("follows DOCKER_HOST only to a unix socket", () => {
    expect(localDockerSocket({}, { HOME: home, DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).toBe(
      "/run/user/1000/docker.sock",
    );
    expect(localDockerSocket({}, { HOME: home, DOCKER_HOST: "tcp://127.0.0.1:2375" })).toBeUndefined();
    expect(localDockerSocket({}, { HOME: home, DOCKER_HOST: "unix://" })).toBeUndefined();
  });

  it("leaves contexts, hosts and TLS settings to the CLI", () => {
    expect(localDockerSocket({ context: "default" }, { HOME: home })).toBeUndefined();
    expect(localDockerSocket({ host: "unix:///var/run/docker.sock" }, { HOME: home })).toBeUndefined();
    expect(localDockerSocket({}, { HOME: home, DOCKER_CONTEXT: "remote" })).toBeUndefined();
    expect(localDockerSocket({}, { HOME: home, DOCKER_TLS_VERIFY: "1" })).toBeUndefined();
  });

  it("leaves a current context in the CLI's config, or a config it cannot read, to the CLI", () => {
    const folder = mkdtempSync(join(tmpdir(), "qus-docker-config-"));
    writeFileSync(join(folder, "config.json"), JSON.stringify({ currentContext: "colima" }));
    expect(localDockerSocket({}, { HOME: home, DOCKER_CONFIG: folder })).toBeUndefined();
    writeFileSync(join(folder, "config.json"), JSON.stringify({ currentContext: "default" }));
    expect(localDockerSocket({}, { HOME: home, DOCKER_CONFIG: folder })).toBe(DEFAULT_DOCKER_SOCKET);
    writeFileSync(join(folder, "config.json"), "{ not json");
    expect(localDockerSocket({}, { HOME: home, DOCKER_CONFIG: folder })).toBeUndefined();
    rmSync(folder, { recursive: true, force: true });
  });
});

describe("getFromSocket (a fake Engine API on a unix socket)", () => {
  let server: Server | undefined;
  const folder = mkdtempSync(join(tmpdir(), "qus-socket-"));
  const socket = join(folder, "engine.sock");
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((done) => (server ? server.close(done) : done(undefined)));
    server = undefined;
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<void> {
    rmSync(socket, { force: true });
    server = createServer(handler);
    await new Promise<void>((done) => server?.listen(socket, done));
  }

  it("returns the status and body of a plain answer", async () => {
    await serve((req, res) => {
      res.statusCode = req.url === "/info" ? 200 : 404;
      res.end(req.url === "/info" ? '{"ServerVersion":"27.0"}' : '{"message":"no such image"}');
    });
    expect(await getFromSocket(socket, "/info", 5000)).toEqual({ status: 200, body: '{"ServerVersion":"27.0"}' });
    expect(await getFromSocket(socket, "/images/x/json", 5000)).toMatchObject({ status: 404 });
  });

  it("says timeout when the engine takes the connection and never answers", async () => {
    await serve(() => {
      // Never answers.
    });
    expect(await getFromSocket(socket, "/info", 200)).toBe("timeout");
  });

  it("has no answer when there is no socket, or the answer is too large", async () => {
    expect(await getFromSocket(join(folder, "absent.sock"), "/info", 1000)).toBeUndefined();
    await serve((_req, res) => {
      res.write(Buffer.alloc(3 * 1024 * 1024));
      res.end(Buffer.alloc(3 * 1024 * 1024));
    });
    expect(await getFromSocket(socket, "/info", 5000)).toBeUndefined();
  });
});
