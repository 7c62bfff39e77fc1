import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { isQusError, type QusError } from "@qus/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clusterStatus, labelNode, watchNode } from "./cluster.js";
import { type FakeApiServer, fakeNode, startFakeApiServer } from "./fake-api-server.js";

// Against an in-process stand-in for the API server (no cluster can run here), through the real
// @kubernetes/client-node: the requests it sends and the node they leave behind are what is checked.
const TAINT = "qus.dev/emulation-not-ready";
let api: FakeApiServer;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "qus-k8s-"));
  api = await startFakeApiServer([
    fakeNode("node-a", {
      taints: [
        { key: TAINT, effect: "NoSchedule" },
        { key: "kubernetes.io/arch", value: "arm64", effect: "NoSchedule" },
      ],
      labels: { "qus.dev/s390x": "proven", "kubernetes.io/hostname": "node-a" },
    }),
    fakeNode("node-b", { architecture: "arm64" }),
  ]);
});
afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const node = (name: string) =>
  api.nodes.get(name) as {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: { taints?: { key: string }[] };
  };

function proven(text: string): string {
  const file = join(dir, "proven");
  writeFileSync(file, text);
  return file;
}

describe("labelNode, against a stand-in API server (no cluster)", () => {
  it("labels what was proven, drops labels no longer proven, and lifts the startup taint once all are proven", async () => {
    const outcome = await labelNode({
      node: "node-a",
      provenFile: proven("1780000000 linux/arm64 linux/riscv64 linux/arm/v7\n"),
      platforms: ["linux/arm64", "linux/riscv64"],
      startupTaint: TAINT,
      config: api.config,
    });
    expect(outcome).toEqual({
      proven: ["linux/arm64", "linux/riscv64", "linux/arm/v7"],
      missing: [],
      patched: true,
      taintRemoved: true,
    });
    const after = node("node-a");
    expect(after.metadata.labels).toEqual({
      "qus.dev/arm64": "proven",
      "qus.dev/riscv64": "proven",
      "qus.dev/arm-v7": "proven",
      "kubernetes.io/hostname": "node-a",
    });
    expect(after.metadata.annotations).toEqual({
      "qus.dev/proven": "linux/arm64,linux/riscv64,linux/arm/v7",
      "qus.dev/proven-at": new Date(1780000000 * 1000).toISOString(),
    });
    expect(after.spec.taints?.map((taint) => taint.key)).toEqual(["kubernetes.io/arch"]);
    const patch = api.requests.find((request) => request.method === "PATCH");
    expect(patch?.contentType).toBe("application/merge-patch+json");
  });

  it("keeps the taint while a platform is missing, and says which", async () => {
    const outcome = await labelNode({
      node: "node-a",
      provenFile: proven("1780000000 linux/arm64\n"),
      platforms: ["linux/arm64", "linux/riscv64"],
      startupTaint: TAINT,
      config: api.config,
    });
    expect(outcome.missing).toEqual(["linux/riscv64"]);
    expect(outcome.taintRemoved).toBe(false);
    expect(node("node-a").spec.taints?.map((taint) => taint.key)).toContain(TAINT);
  });

  it("before the keeper's first proof, nothing is patched", async () => {
    const outcome = await labelNode({
      node: "node-a",
      provenFile: join(dir, "absent"),
      platforms: ["linux/arm64"],
      config: api.config,
    });
    expect(outcome.patched).toBe(false);
    expect(api.requests).toEqual([]);
  });

  it("a node the cluster does not have: a clear error naming it and the server", async () => {
    await expect(
      labelNode({ node: "ghost", provenFile: proven("1 linux/arm64"), platforms: [], config: api.config }),
    ).rejects.toThrow(/could not read node ghost at http:\/\/127\.0\.0\.1:\d+: HTTP 404/);
  });

  it("watch: reports each change once, and stops when aborted", async () => {
    const file = proven("1780000000 linux/arm64\n");
    const controller = new AbortController();
    const lines: string[] = [];
    const watching = watchNode(
      {
        node: "node-b",
        provenFile: file,
        platforms: ["linux/arm64"],
        intervalMs: 20,
        signal: controller.signal,
        config: api.config,
      },
      (line) => {
        lines.push(line);
        if (lines.length === 1) writeFileSync(file, "1780000060 linux/arm64 linux/s390x\n");
        if (lines.length === 2) controller.abort();
      },
    );
    await watching;
    expect(lines).toEqual(["node-b: proven linux/arm64", "node-b: proven linux/arm64,linux/s390x"]);
    expect(node("node-b").metadata.labels["qus.dev/s390x"]).toBe("proven");
  });
});

describe("clusterStatus, against a stand-in API server (no cluster)", () => {
  it("lists every node with what it proved, what is missing, and the taint", async () => {
    await labelNode({
      node: "node-b",
      provenFile: proven("1780000000 linux/arm64 linux/riscv64\n"),
      platforms: [],
      config: api.config,
    });
    const status = await clusterStatus({
      platforms: ["linux/arm64", "linux/riscv64"],
      startupTaint: TAINT,
      config: api.config,
    });
    expect(status.map(({ platforms: _, ...rest }) => rest)).toEqual([
      {
        node: "node-a",
        architecture: "amd64",
        proven: [],
        provenAt: undefined,
        missing: ["linux/arm64", "linux/riscv64"],
        tainted: true,
        ok: false,
      },
      {
        node: "node-b",
        architecture: "arm64",
        proven: ["linux/arm64", "linux/riscv64"],
        provenAt: new Date(1780000000 * 1000).toISOString(),
        missing: [],
        tainted: false,
        ok: true,
      },
    ]);
    // Per platform, core's report lines: arm64 is node-b's own architecture (core's native rule).
    const lines = status.map((each) => each.platforms.map((line) => [line.platform, line.before, line.ok]));
    expect(lines).toEqual([
      [
        ["linux/arm64", "unknown", false],
        ["linux/riscv64", "unknown", false],
      ],
      [
        ["linux/arm64", "native", true],
        ["linux/riscv64", "unknown", true],
      ],
    ]);
    expect(status[1]?.platforms[0]?.reasons).toEqual(["the node's own architecture (arm64)"]);
  });

  it("a node's own architecture needs no proof, and platforms match whatever name core gives them", async () => {
    await labelNode({
      node: "node-b",
      provenFile: proven("1780000000 linux/riscv64\n"),
      platforms: [],
      config: api.config,
    });
    const status = await clusterStatus({ platforms: ["arm64", "riscv64", "s390x"], config: api.config });
    const nodeB = status.find((each) => each.node === "node-b");
    expect(nodeB?.missing).toEqual(["linux/s390x"]);
    const nodeA = status.find((each) => each.node === "node-a");
    expect(nodeA?.missing).toEqual(["linux/arm64", "linux/riscv64", "linux/s390x"]);
  });

  it("an API server that accepts and never answers: stopped at the bound, a clear error naming it", async () => {
    const { createServer } = await import("node:net");
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const config = api.config;
    config.clusters[0] = {
      ...config.clusters[0],
      name: "fake",
      server: `http://127.0.0.1:${port}`,
      skipTLSVerify: true,
    };
    try {
      await expect(clusterStatus({ platforms: [], config, timeoutMs: 300 })).rejects.toThrow(
        new RegExp(`could not list the nodes at http://127\\.0\\.0\\.1:${port}`),
      );
      await expect(
        labelNode({ node: "node-a", provenFile: proven("1 linux/arm64"), platforms: [], config, timeoutMs: 300 }),
      ).rejects.toThrow(/could not read node node-a/);
    } finally {
      silent.close();
    }
  });

  it("an API server that does not answer: a clear error naming it", async () => {
    await api.close();
    await expect(clusterStatus({ platforms: [], config: api.config })).rejects.toThrow(
      /could not list the nodes at http:\/\/127\.0\.0\.1:\d+/,
    );
    api = await startFakeApiServer([]);
  });
});

/** The QusError a call rejects with (the test fails when it resolves, or rejects with anything else). */
async function rejection(call: Promise<unknown>): Promise<QusError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isQusError(error)) throw new Error(`expected a QusError, got ${String(error)}`);
  return error;
}

/** A kubeconfig of one cluster at `server`, with or without insecure-skip-tls-verify. */
function kubeConfigAt(server: string, skipTLSVerify = false): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "c", server, skipTLSVerify }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
  return config;
}

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

describe("an API server that fails before any HTTP status: the failure named, never as an HTTP status", () => {
  it("no answer within the bound: QUS_TIMEOUT naming the server and the bound", async () => {
    const silent = createTcpServer(() => {});
    const port = await listening(silent);
    try {
      const error = await rejection(
        clusterStatus({ platforms: [], config: kubeConfigAt(`http://127.0.0.1:${port}`, true), timeoutMs: 300 }),
      );
      expect(error.code).toBe("QUS_TIMEOUT");
      expect(error.message).toBe(`could not list the nodes at http://127.0.0.1:${port}: no answer within 0.3 s`);
      expect(error.message).not.toMatch(/HTTP/);
    } finally {
      silent.close();
    }
  });

  it("connection refused: the server unreachable, said so", async () => {
    const closed = createTcpServer();
    const port = await listening(closed);
    await new Promise((resolve) => closed.close(resolve));
    const error = await rejection(clusterStatus({ platforms: [], config: kubeConfigAt(`http://127.0.0.1:${port}`) }));
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toMatch(/: connection refused \(nothing listens at 127\.0\.0\.1:\d+\)$/);
    expect(error.message).not.toMatch(/HTTP/);
  });

  it("a host DNS does not know: the host named", async () => {
    const error = await rejection(
      clusterStatus({ platforms: [], config: kubeConfigAt("https://qus-no-such-host.invalid:6443") }),
    );
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toMatch(/: the host qus-no-such-host\.invalid is not found \(DNS: E[A-Z_]+\)$/);
    expect(error.hint).toMatch(/server/);
    expect(error.message).not.toMatch(/HTTP/);
  });

  it("a TLS handshake that fails (https:// to a plain-http server): a TLS failure", async () => {
    const error = await rejection(
      clusterStatus({
        platforms: [],
        config: kubeConfigAt(api.config.getCurrentCluster()?.server.replace("http:", "https:") ?? ""),
      }),
    );
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toMatch(/: the TLS handshake failed \(ERR_SSL_[A-Z_]+\): /);
    expect(error.message).not.toMatch(/HTTP \d/);
  });

  const openssl = spawnSync("openssl", ["version"]).status === 0;
  it.skipIf(!openssl)(
    "an https:// server whose certificate the kubeconfig does not trust: a TLS failure, the CA named",
    async () => {
      const key = join(dir, "key.pem");
      const cert = join(dir, "cert.pem");
      const made = spawnSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-days",
          "2",
          "-subj",
          "/CN=127.0.0.1",
          "-keyout",
          key,
          "-out",
          cert,
        ],
        { encoding: "utf8" },
      );
      expect(made.status, made.stderr).toBe(0);
      const tls = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_, response) =>
        response.end("{}"),
      );
      const port = await listening(tls as unknown as Server);
      try {
        const error = await rejection(
          clusterStatus({ platforms: [], config: kubeConfigAt(`https://127.0.0.1:${port}`) }),
        );
        expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
        expect(error.message).toMatch(/: the TLS handshake failed \([A-Z_]+\): .*certificate/);
        expect(error.hint).toMatch(/certificate-authority-data/);
      } finally {
        tls.close();
      }
    },
  );

  it("an HTTP status is still an HTTP status, with the server's message, control characters escaped", async () => {
    const missing = await rejection(
      labelNode({ node: "ghost", provenFile: proven("1 linux/arm64"), platforms: [], config: api.config }),
    );
    expect(missing.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(missing.message).toMatch(
      /^could not read node ghost at http:\/\/127\.0\.0\.1:\d+: HTTP 404: nodes "ghost" not found$/,
    );
    const { createServer } = await import("node:http");
    const forbidding = createServer((_, response) => {
      response.writeHead(403, { "content-type": "application/json" });
      response.end(JSON.stringify({ kind: "Status", code: 403, message: "nodes is forbidden\u001b[2J\nfor you" }));
    });
    const port = await listening(forbidding as unknown as Server);
    try {
      const error = await rejection(clusterStatus({ platforms: [], config: kubeConfigAt(`http://127.0.0.1:${port}`) }));
      expect(error.message).toBe(
        `could not list the nodes at http://127.0.0.1:${port}: HTTP 403: nodes is forbidden\\x1b[2J\\x0afor you`,
      );
      expect(error.hint).toMatch(/get and patch on nodes/);
    } finally {
      forbidding.close();
    }
  });
});

describe("a kubeconfig whose server is http://", () => {
  it("without insecure-skip-tls-verify: talks plain http, as kubectl does", async () => {
    const config = kubeConfigAt(api.config.getCurrentCluster()?.server ?? "");
    const status = await clusterStatus({ platforms: ["linux/arm64"], config });
    expect(status.map((node) => node.node)).toEqual(["node-a", "node-b"]);
    // The caller's config is left as it was.
    expect(config.getCurrentCluster()?.skipTLSVerify).toBe(false);
  });
});

describe("apiFailureOf: the client's errors as data", () => {
  it("a DOMException's legacy code is no HTTP status; a value that is no error is still told", async () => {
    const { apiFailureOf } = await import("./api-failure.js");
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(timeout.code).toBe(23);
    expect(apiFailureOf(timeout, 30_000)).toEqual({ kind: "timeout", afterMs: 30_000 });
    expect(apiFailureOf(null, 1)).toEqual({ kind: "other", reason: "null" });
    const viaBoth = new TypeError("fetch failed", {
      cause: Object.assign(
        new AggregateError(
          [
            Object.assign(new Error("connect ECONNREFUSED ::1:6443"), {
              code: "ECONNREFUSED",
              address: "::1",
              port: 6443,
            }),
          ],
          "",
        ),
        {},
      ),
    });
    expect(apiFailureOf(viaBoth, 1)).toEqual({ kind: "refused", address: "::1:6443" });
  });
});
