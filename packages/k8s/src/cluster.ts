import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Node } from "@kubernetes/client-node";
import { QusError } from "@qus/core";
import { labelPatch, type NodeFacts, type NodeStatus, nodeStatus, parseProvenFile } from "./node-state.js";

/** The cluster from KUBECONFIG (or ~/.kube/config), or the pod's own service account inside a cluster. */
export function defaultKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromDefault();
  return config;
}

const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

function factsOf(node: V1Node): NodeFacts {
  return {
    name: node.metadata?.name ?? "",
    labels: node.metadata?.labels ?? {},
    annotations: node.metadata?.annotations ?? {},
    taintKeys: (node.spec?.taints ?? []).map((taint) => taint.key),
    architecture: node.status?.nodeInfo?.architecture,
  };
}

/** Turns the client's failures into one error that names the cluster and what to check. */
function apiError(error: unknown, what: string, config: KubeConfig): QusError {
  const server = config.getCurrentCluster()?.server ?? "the cluster";
  const code = (error as { code?: number }).code;
  const detail = code ? `HTTP ${code}` : error instanceof Error ? error.message : String(error);
  return new QusError("QUS_ENGINE_UNREACHABLE", `could not ${what} at ${server}: ${detail}`, {
    hint:
      code === 403
        ? "the service account needs get and patch on nodes: apply the manifest from qus k8s manifest --label-nodes"
        : "check KUBECONFIG (or the pod's service account) and that the API server answers: kubectl get nodes",
    cause: error,
  });
}

/** Options of {@link clusterStatus}. */
export interface ClusterStatusOptions {
  readonly platforms: readonly string[];
  readonly startupTaint?: string;
  readonly config?: KubeConfig;
}

/** Every node's emulation state, from the labels and annotations the labeller wrote. */
export async function clusterStatus(options: ClusterStatusOptions): Promise<NodeStatus[]> {
  const config = options.config ?? defaultKubeConfig();
  const api = config.makeApiClient(CoreV1Api);
  const list = await api.listNode().catch((error: unknown) => {
    throw apiError(error, "list the nodes", config);
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
  const api = config.makeApiClient(CoreV1Api);
  const text = await readFile(options.provenFile, "utf8").catch(() => "");
  const proven = parseProvenFile(text);
  if (!proven) return { proven: [], missing: [...options.platforms], patched: false, taintRemoved: false };
  const missing = options.platforms.filter((platform) => !proven.platforms.includes(platform));
  const node = await api.readNode({ name: options.node }).catch((error: unknown) => {
    throw apiError(error, `read node ${options.node}`, config);
  });
  const facts = factsOf(node);
  const patch = labelPatch(facts, proven, options.labels ?? true);
  const taintRemoved =
    missing.length === 0 && options.startupTaint !== undefined && facts.taintKeys.includes(options.startupTaint);
  if (taintRemoved) {
    // A merge patch replaces the list; the resourceVersion makes a concurrent change fail instead of being lost.
    const taints = (node.spec?.taints ?? []).filter((taint) => taint.key !== options.startupTaint);
    Object.assign(patch, { spec: { taints } });
    (patch.metadata as Record<string, unknown>).resourceVersion = node.metadata?.resourceVersion;
  }
  await api.patchNode({ name: options.node, body: patch }, MERGE_PATCH).catch((error: unknown) => {
    throw apiError(error, `patch node ${options.node}`, config);
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
      if (line !== last) report(line);
      last = line;
    } catch (error) {
      report(`${options.node}: ${error instanceof Error ? error.message : String(error)}`);
      last = "";
    }
    await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
