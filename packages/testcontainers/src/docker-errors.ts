import { type NotStartedReason, notStartedReason } from "@qus/core/runner";

/** What dockerode's errors carry: the HTTP status and the engine's JSON, or a socket's errno code. */
export interface DockerError {
  readonly statusCode?: number;
  readonly json?: { readonly message?: string } | null;
  readonly reason?: string;
  readonly code?: string;
  readonly message?: string;
}

/** errno codes of a connection that could not be made or broke: the engine is not answering. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ENOENT",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "EACCES",
]);

/** Whether an error says the engine could not be reached, rather than that it refused a request. */
export function isConnectionError(error: unknown): boolean {
  const { code, statusCode } = (error ?? {}) as DockerError;
  return statusCode === undefined && code !== undefined && CONNECTION_CODES.has(code);
}

/** The engine's own words for a refused request (its JSON message), else the error's. */
export function describeDockerError(error: unknown): string {
  const { json, message, code } = (error ?? {}) as DockerError;
  const engineWords = json?.message?.trim();
  if (engineWords) return engineWords;
  const text = (message ?? String(error)).replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
  return code && !text.includes(code) ? `${text} (${code})` : text || "no error message";
}

/** Why the engine refused to create or start a container, from its HTTP status and its words. */
export function refusalReason(error: unknown): NotStartedReason {
  const reason = notStartedReason(describeDockerError(error));
  // The Engine API answers a create of an image it does not have with 404 (`No such image: …`).
  if (reason === "other" && (error as DockerError | undefined)?.statusCode === 404) return "no-such-image";
  return reason;
}
