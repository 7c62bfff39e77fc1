import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type ConfigurationOptions,
  CoreV1Api,
  KubeConfig,
  Observable,
  PatchStrategy,
  type RequestContext,
  type ResponseContext,
  setHeaderOptions,
  type V1Node,
} from "@kubernetes/client-node";
import { QusError } from "@qus/core";
import { printable } from "@qus/core/toolkit";
import { apiError, apiFailureOf } from "./api-failure.js";
import { labelPatch, type NodeFacts, type NodeStatus, nodeStatus, parseProvenFile, unprovenOn } from "./node-state.js";

/** The cluster from KUBECONFIG (or ~/.kube/config), or the pod's own service account inside a cluster. */
export function defaultKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  const configured =
    Boolean(process.env.KUBECONFIG) ||
    existsSync(join(homedir(), ".kube", "config")) ||
    Boolean(process.env.KUBERNETES_SERVICE_HOST);
  if (!configured) {
    throw new QusError(
      "QUS_ENGINE_UNREACHABLE",
      "no Kubernetes cluster is configured: no KUBECONFIG, no ~/.kube/config, and not in a pod",
      { hint: "point KUBECONFIG at the cluster's kubeconfig (kubectl config view works with it)" },
    );
  }
  try {
    config.loadFromDefault();
  } catch (error) {
    throw badConfig(error);
  }
  return config;
}

function badConfig(error: unknown): QusError {
  const detail = error instanceof Error ? error.message : String(error);
  return new QusError(
    "QUS_USAGE",
    `cannot use the kubeconfig ${process.env.KUBECONFIG ?? "~/.kube/config"}: ${detail}`,
    {
      hint: "check it with kubectl config view; it needs a current context naming a cluster and a user",
      cause: error,
    },
  );
}

/**
 * The config as kubectl reads it: an `http://` server is talked to in plain http. The client refuses that unless
 * the cluster sets insecure-skip-tls-verify, a flag that only turns off TLS checks, which plain http has none of;
 * so a copy sets it for that server alone (an `https://` server keeps every check). The caller's config is unchanged.
 */
function asKubectlReads(config: KubeConfig): KubeConfig {
  const cluster = config.getCurrentCluster();
  if (!cluster?.server.startsWith("http:") || cluster.skipTLSVerify) return config;
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: config.clusters.map((each) => (each === cluster ? { ...each, skipTLSVerify: true } : each)),
    users: config.users,
    contexts: config.contexts,
    currentContext: config.currentContext,
  });
  return copy;
}

/** The core API client of a config; a config without a usable cluster is bad input, named. */
function coreApi(config: KubeConfig): CoreV1Api {
  try {
    return asKubectlReads(config).makeApiClient(CoreV1Api);
  } catch (error) {
    throw badConfig(error);
  }
}

/** How long one API call may take before the API server counts as not answering. */
export const API_TIMEOUT_MS = 30_000;

/** Options that abort a call still unanswered after `timeoutMs`: an API server that accepts and never replies. */
function deadline(timeoutMs: number): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (request: RequestContext) => {
          request.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(request));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}

const mergePatch = (timeoutMs: number) =>
  setHeaderOptions("Content-Type", PatchStrategy.MergePatch, deadline(timeoutMs));

function factsOf(node: V1Node): NodeFacts {
  return {
    name: node.metadata?.name ?? "",
    labels: node.metadata?.labels ?? {},
    annotations: node.metadata?.annotations ?? {},
    taintKeys: (node.spec?.taints ?? []).map((taint) => taint.key),
    architecture: node.status?.nodeInfo?.architecture,
  };
}

/** The error of a call that failed: what was asked, the server, and what happened, from {@link apiFailureOf}. */
function callError(error: unknown, what: string, config: KubeConfig, timeoutMs: number) {
  const server = config.getCurrentCluster()?.server ?? "the cluster";
  return apiError(apiFailureOf(error, timeoutMs), what, server, error);
}

/** Options of {@link clusterStatus}. */
export interface ClusterStatusOptions {
  readonly platforms: readonly string[];
  readonly startupTaint?: string;
  readonly config?: KubeConfig;
  /** Bound of each API call ({@link API_TIMEOUT_MS} by default). */
  readonly timeoutMs?: number;
}

/** Every node's emulation state, from the labels and annotations the labeller wrote. */
export async function clusterStatus(options: ClusterStatusOptions): Promise<NodeStatus[]> {
  const config = options.config ?? defaultKubeConfig();
  const api = coreApi(config);
  const timeoutMs = options.timeoutMs ?? API_TIMEOUT_MS;
  const list = await api.listNode({}, deadline(timeoutMs)).catch((error: unknown) => {
    throw callError(error, "list the nodes", config, timeoutMs);
  });
  return list.items
    .map((node) => nodeStatus(factsOf(node), options.platforms, options.startupTaint))
    .sort((a, b) => a.node.localeCompare(b.node));
}

/** Options of {@link labelNode}. */
export interface LabelNodeOptions {
  readonly node: string;
  /** The keeper's file (`<unix seconds> <platform>...`). */
  readonly provenFile: string;
  /** Platforms the node must prove before the startup taint is lifted. */
  readonly platforms: readonly string[];
  readonly startupTaint?: string;
  /** Write the per-platform labels (the annotations are always written). */
  readonly labels?: boolean;
  readonly config?: KubeConfig;
  /** Bound of each API call ({@link API_TIMEOUT_MS} by default). */
  readonly timeoutMs?: number;
}

/** What one labelling pass did. */
export interface LabelOutcome {
  readonly proven: readonly string[];
  readonly missing: readonly string[];
  readonly patched: boolean;
  readonly taintRemoved: boolean;
}

/**
 * Makes the node say what the keeper proved last, and lifts the startup taint once every platform asked for is
 * proven. Nothing is patched before the keeper wrote its first proof.
 */
export async function labelNode(options: LabelNodeOptions): Promise<LabelOutcome> {
  const config = options.config ?? defaultKubeConfig();
  const api = coreApi(config);
  const text = await readFile(options.provenFile, "utf8").catch(() => "");
  const proven = parseProvenFile(text);
  if (!proven) return { proven: [], missing: [...options.platforms], patched: false, taintRemoved: false };
  const timeoutMs = options.timeoutMs ?? API_TIMEOUT_MS;
  const node = await api.readNode({ name: options.node }, deadline(timeoutMs)).catch((error: unknown) => {
    throw callError(error, `read node ${options.node}`, config, timeoutMs);
  });
  const facts = factsOf(node);
  const missing = unprovenOn(options.platforms, proven.platforms, facts.architecture);
  const patch = labelPatch(facts, proven, options.labels ?? true);
  const taintRemoved =
    missing.length === 0 && options.startupTaint !== undefined && facts.taintKeys.includes(options.startupTaint);
  if (taintRemoved) {
    // A merge patch replaces the list; the resourceVersion makes a concurrent change fail instead of being lost.
    const taints = (node.spec?.taints ?? []).filter((taint) => taint.key !== options.startupTaint);
    Object.assign(patch, { spec: { taints } });
    (patch.metadata as Record<string, unknown>).resourceVersion = node.metadata?.resourceVersion;
  }
  await api.patchNode({ name: options.node, body: patch }, mergePatch(timeoutMs)).catch((error: unknown) => {
    throw callError(error, `patch node ${options.node}`, config, timeoutMs);
  });
  return { proven: proven.platforms, missing, patched: true, taintRemoved };
}

/** {@link labelNode} again every `intervalMs` until `signal` aborts; a failed pass is reported and retried. */
export async function watchNode(
  options: LabelNodeOptions & { readonly intervalMs: number; readonly signal: AbortSignal },
  report: (line: string) => void,
): Promise<void> {
  let last = "";
  while (!options.signal.aborted) {
    try {
      const outcome = await labelNode(options);
      const line = `${options.node}: proven ${outcome.proven.join(",") || "nothing yet"}${outcome.missing.length ? `; missing ${outcome.missing.join(",")}` : ""}${outcome.taintRemoved ? `; removed taint ${options.startupTaint}` : ""}`;
      if (line !== last) report(printable(line));
      last = line;
    } catch (error) {
      report(printable(`${options.node}: ${error instanceof Error ? error.message : String(error)}`));
      last = "";
    }
    await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
