import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

/**
 * A stand-in for the Kubernetes API server, for tests (no cluster runs on the machines qus is tested on): nodes in
 * memory, GET of the list and of one node, PATCH with a JSON merge patch (RFC 7386) that honours
 * metadata.resourceVersion as the real server does (409 when it is stale). Every request is recorded.
 */
export interface FakeApiServer {
  readonly config: KubeConfig;
  readonly nodes: Map<string, Record<string, unknown>>;
  readonly requests: { method: string; path: string; contentType?: string; body?: unknown }[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** RFC 7386: objects merge key by key, null deletes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Json =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [key, value] of Object.entries(patch as Json)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

async function bodyOf(request: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of request) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

/** A node object as the API server returns it. */
export function fakeNode(name: string, extra: { taints?: Json[]; labels?: Json; architecture?: string } = {}): Json {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, resourceVersion: "1", labels: extra.labels ?? {}, annotations: {} },
    spec: extra.taints ? { taints: extra.taints } : {},
    status: { nodeInfo: { architecture: extra.architecture ?? "amd64" } },
  };
}

/** Starts the stand-in on a loopback port; `config` points the client at it. */
export async function startFakeApiServer(nodes: readonly Json[]): Promise<FakeApiServer> {
  const byName = new Map(nodes.map((node) => [(node.metadata as Json).name as string, structuredClone(node)]));
  const requests: FakeApiServer["requests"] = [];
  const server: Server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const path = request.url?.split("?")[0] ?? "";
    requests.push({ method: request.method ?? "", path, contentType: request.headers["content-type"], body });
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    const name = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path)?.[1];
    if (request.method === "GET" && path === "/api/v1/nodes") {
      return send(200, { apiVersion: "v1", kind: "NodeList", metadata: {}, items: [...byName.values()] });
    }
    const node = name ? byName.get(name) : undefined;
    if (!name || !node) return send(404, { kind: "Status", code: 404, message: `nodes "${name}" not found` });
    if (request.method === "GET") return send(200, node);
    if (request.method === "PATCH") {
      if (request.headers["content-type"] !== "application/merge-patch+json") {
        return send(415, { kind: "Status", code: 415, message: "unsupported patch type" });
      }
      const metadata = node.metadata as Json;
      const wanted = ((body as Json | undefined)?.metadata as Json | undefined)?.resourceVersion;
      if (wanted !== undefined && wanted !== metadata.resourceVersion) {
        return send(409, { kind: "Status", code: 409, message: "the object has been modified" });
      }
      const patched = mergePatch(node, body) as Json;
      (patched.metadata as Json).resourceVersion = String(Number(metadata.resourceVersion) + 1);
      byName.set(name, patched);
      return send(200, patched);
    }
    return send(405, { kind: "Status", code: 405 });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "fake", token: "fake-token" }],
    contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
    currentContext: "fake",
  });
  return {
    config,
    nodes: byName,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
