import { createContainerDriver, ensure, isQusError, QusError, type Target } from "@qus/core";
import { createDockerCliRunner, type EngineCommand, type Exec, engineCommand } from "@qus/core/runner";
import { canonicalPlatform } from "@qus/core/toolkit";
import type { BootstrapOptions } from "./bootstrap-options.js";
import type { NodeBinfmt } from "./bootstrap-report.js";
import { type EngineAnswer, engineIdAt } from "./engine.js";
import type { BuilderNode } from "./inspect.js";

/** Engine addresses the docker CLI reaches with --host; any other scheme is not a docker engine. */
const ENGINE_ADDRESS = /^(unix|tcp|ssh|npipe|fd):\/\//;

/** A node on another engine: its endpoint, and the engine seam there (its answer to `docker info` kept). */
export interface NodeEngine {
  readonly node: string;
  readonly endpoint: string;
  readonly command: EngineCommand;
}

/**
 * The nodes of a builder on other engines than the one qus was pointed at, one per engine: buildx names an engine by
 * its context or its address (the default context's node says unix:///var/run/docker.sock), so the engines' IDs
 * decide. A node whose engine does not answer is kept, so its failure is reported; one on the same engine is not.
 */
export async function otherNodeEngines(
  nodes: readonly BuilderNode[],
  engine: EngineAnswer,
  exec: Exec,
  timeoutMs: number,
): Promise<NodeEngine[]> {
  // Without the engine's own ID, two names cannot be told apart: the same engine is assumed, as before.
  if (engine.id === undefined) return [];
  const endpoints: NodeEngine[] = [];
  for (const node of nodes) {
    const endpoint = node.endpoint;
    if (endpoint && endpoint !== engine.context && !endpoints.some((seen) => seen.endpoint === endpoint)) {
      const target = endpoint.includes("://") ? { host: endpoint } : { context: endpoint };
      endpoints.push({ node: node.name, endpoint, command: engineCommand({ ...target, exec }) });
    }
  }
  const ids = await Promise.all(endpoints.map(({ command }) => engineIdAt(command, timeoutMs)));
  const seen = new Set([engine.id]);
  return endpoints.filter((_, i) => {
    const id = ids[i];
    if (id === undefined) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Ensures binfmt on each other node's engine at once; one engine's failure is its own node's, not the run's. */
export async function ensureNodeEngines(
  options: BootstrapOptions,
  endpoints: readonly NodeEngine[],
  requested: readonly { target: Target }[],
  exec: Exec,
): Promise<NodeBinfmt[]> {
  const platforms = [...new Set(requested.map((item) => canonicalPlatform(item.target)))];
  return Promise.all(
    endpoints.map(async ({ node, endpoint, command }): Promise<NodeBinfmt> => {
      try {
        if (!options.nodeBinfmtDriver && endpoint.includes("://") && !ENGINE_ADDRESS.test(endpoint)) {
          throw new QusError("QUS_USAGE", `node ${node}'s endpoint ${endpoint} is not a docker engine qus can reach`, {
            hint: "binfmt on that node's kernel is proven by the builds only; ensure it there with qus ensure",
          });
        }
        // The seam that asked the engine's ID: the runner reads its answer to `docker info` instead of asking again.
        const runner = createDockerCliRunner(
          endpoint.includes("://") ? { host: endpoint, exec, command } : { context: endpoint, exec, command },
        );
        const driver =
          options.nodeBinfmtDriver?.(endpoint) ??
          createContainerDriver({ runner, image: options.image, privileged: options.privileged });
        const report = await ensure({ platforms, replace: options.replace, dryRun: options.dryRun, driver });
        return { node, endpoint, report };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return isQusError(error)
          ? { node, endpoint, error: { code: error.code, message, ...(error.hint ? { hint: error.hint } : {}) } }
          : { node, endpoint, error: { code: "QUS_EXEC_FAILED", message } };
      }
    }),
  );
}
