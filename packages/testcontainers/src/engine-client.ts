import {
  DEFAULT_BUILD_TIMEOUT_MS,
  DEFAULT_ENGINE_TIMEOUT_MS,
  DEFAULT_PULL_TIMEOUT_MS,
  DEFAULT_RUN_TIMEOUT_MS,
  type DockerInfo,
  dockerInfoFacts,
  type EngineFacts,
  engineTimeoutFromEnv,
  type RunSpec,
  unreachable,
} from "@qus/core/runner";
import type Dockerode from "dockerode";
import { type DockerError, describeDockerError, isConnectionError } from "./docker-errors.js";

/** Options of {@link createEngineRunner}. */
export interface EngineRunnerOptions {
  /** Where the client goes, in words, for reports and errors (`unix:///var/run/docker.sock`). */
  readonly endpoint: string;
  /** Bound of a call the engine answers at once; QUS_ENGINE_TIMEOUT (seconds) or 15 s by default. */
  readonly engineTimeoutMs?: number;
  /** Bound of a helper container whose spec sets none: 120 s. */
  readonly runTimeoutMs?: number;
  readonly pullTimeoutMs?: number;
  readonly buildTimeoutMs?: number;
}

/** A dockerode client on the engine the tests use, with its bounds: what every call of the engine runner shares. */
export interface EngineClient {
  readonly dockerode: Dockerode;
  readonly endpoint: string;
  readonly timeouts: { readonly engine: number; readonly run: number; readonly pull: number; readonly build: number };
  /** The engine's facts, once asked (a failed ask is forgotten, to be asked again). */
  readonly facts: { current?: Promise<EngineFacts> };
}

/** The client with its options' defaults. */
export function createEngineClient(dockerode: Dockerode, options: EngineRunnerOptions): EngineClient {
  return {
    dockerode,
    endpoint: options.endpoint,
    timeouts: {
      engine: options.engineTimeoutMs ?? engineTimeoutFromEnv() ?? DEFAULT_ENGINE_TIMEOUT_MS,
      run: options.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
      pull: options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS,
      build: options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
    },
    facts: {},
  };
}

export const UNREACHABLE_HINT =
  "start the engine the tests use, or point DOCKER_HOST (or ~/.testcontainers.properties) at one that answers";

const SOCKET_DENIED_HINT =
  "this user may not use the engine's socket: add it to the docker group (or the engine's own), or run the tests as root";

/** What to do about a connection that failed: permission to the socket, or an engine that is not there. */
function hintFor(error: unknown): string {
  return (error as DockerError).code === "EACCES" ? SOCKET_DENIED_HINT : UNREACHABLE_HINT;
}

/**
 * A call the engine answers at once: an engine that takes longer, or cannot be reached, is not answering. Only
 * the answer is bounded: a stream the call opens (an attach) is not aborted once it answered.
 */
export async function engineCall<T>(
  client: EngineClient,
  what: string,
  call: (abortSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { endpoint } = client;
  const engineTimeoutMs = client.timeouts.engine;
  const bound = new AbortController();
  const timer = setTimeout(() => bound.abort(), engineTimeoutMs);
  try {
    return await call(bound.signal);
  } catch (error) {
    if (bound.signal.aborted) {
      throw unreachable(
        endpoint,
        `${what} did not answer within ${engineTimeoutMs / 1000} s`,
        "check that the engine answers; for a slow remote engine allow more time, for example QUS_ENGINE_TIMEOUT=60",
      );
    }
    if (isConnectionError(error))
      throw unreachable(endpoint, `${what} failed: ${describeDockerError(error)}`, hintFor(error));
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The engine's facts, asked once per client (a failed ask is asked again). */
export async function engineFacts(client: EngineClient): Promise<EngineFacts> {
  const { facts, dockerode, endpoint } = client;
  facts.current ??= engineCall(client, "GET /info", (abortSignal) =>
    dial<DockerInfo>(dockerode, { path: "/info", method: "GET", abortSignal }),
  )
    // Read as the docker CLI runner reads `docker info`: the API answers the same object.
    .then((info: DockerInfo) => dockerInfoFacts(info, endpoint))
    .catch((error: unknown) => {
      facts.current = undefined;
      throw error;
    });
  return facts.current;
}

/** The confinement to lift: asked of the engine only when the spec needs a mount with least privilege. */
export async function confinementFor(client: EngineClient, spec: Pick<RunSpec, "needsBinfmtMount" | "privilege">) {
  if (spec.privilege === "full" || !spec.needsBinfmtMount) return { apparmor: false, selinux: false };
  return (await engineFacts(client)).confinement;
}

/**
 * One Engine API request through dockerode's modem, bounded by `abortSignal`: for the calls whose dockerode method
 * takes no signal. Rejects as dockerode does (`statusCode`, `json`) for any answer but 200.
 */
export function dial<T>(
  dockerode: Dockerode,
  request: { path: string; method: string; abortSignal: AbortSignal },
): Promise<T> {
  return new Promise((resolve, reject) => {
    dockerode.modem.dial(
      { ...request, statusCodes: { 200: true, 404: "not found", 500: "server error" } },
      (error: unknown, data: unknown) => (error ? reject(error) : resolve(data as T)),
    );
  });
}
