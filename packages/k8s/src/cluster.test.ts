import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    expect(status).toEqual([
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
