import type { ExecResult } from "../exec.js";
import { getFromSocket, localDockerSocket } from "./docker-socket.js";
import type { EngineOutcome } from "./engine-outcome.js";

/**
 * The local Docker engine's API, for the two questions every container run of qus asks first (the engine's info,
 * the installer image's labels): one HTTP request on the socket instead of a docker CLI process each. Its answers
 * take the shape of the CLI's (an {@link EngineOutcome} with the CLI's JSON in stdout), so callers read one shape;
 * an answer that is not plain is undefined, and the caller asks the CLI, whose words the errors keep.
 */
export interface EngineApi {
  info(timeoutMs: number): Promise<EngineOutcome | undefined>;
  imageLabels(image: string, timeoutMs: number): Promise<EngineOutcome | undefined>;
}

/**
 * The API of the engine a docker client with these global options reaches, when that is the local socket (no
 * context or host, nothing in the environment or the CLI's config pointing elsewhere); undefined otherwise.
 */
export function localEngineApi(engine: string, global: readonly string[]): EngineApi | undefined {
  if (engine !== "docker" || global.length > 0) return undefined;
  const socket = localDockerSocket({});
  if (socket === undefined) return undefined;
  return {
    async info(timeoutMs) {
      const answer = await getFromSocket(socket, "/info", timeoutMs);
      if (answer === "timeout") return timedOut();
      const info = answer?.status === 200 ? jsonObject(answer.body) : undefined;
      // The CLI's info names the client's context too: the docker driver's builder is named after it.
      return info && ran(JSON.stringify({ ...info, ClientInfo: { Context: "default" } }));
    },
    async imageLabels(image, timeoutMs) {
      const path = `/images/${image.split("/").map(encodeURIComponent).join("/")}/json`;
      const answer = await getFromSocket(socket, path, timeoutMs);
      if (answer === "timeout") return timedOut();
      if (answer?.status === 404) return noSuchImage(image);
      const record = answer?.status === 200 ? jsonObject(answer.body) : undefined;
      const labels = (record?.Config as { Labels?: unknown } | undefined)?.Labels ?? null;
      return record && ran(JSON.stringify(labels));
    },
  };
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const result = (fields: Partial<ExecResult>): ExecResult => ({
  exitCode: 0,
  signal: undefined,
  stdout: "",
  stderr: "",
  startError: undefined,
  timedOut: false,
  ...fields,
});

const ran = (stdout: string): EngineOutcome => ({ kind: "ran", result: result({ stdout }) });
const timedOut = (): EngineOutcome => ({ kind: "timed-out", result: result({ exitCode: undefined, timedOut: true }) });
// In the CLI's words, which the runners read for a missing image.
const noSuchImage = (image: string): EngineOutcome => ({
  kind: "refused",
  failure: "no-such-image",
  result: result({ exitCode: 1, stderr: `Error: No such image: ${image}` }),
});
