import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The local Docker engine's Engine API, asked over its unix socket for the two questions a no-op asks before its
 * one container run (the engine's info, an image's labels). Each docker CLI process costs tens of milliseconds
 * before it asks anything; one HTTP request on the socket costs a few. Used only where the docker CLI would go to
 * that same socket by itself, and every answer that is not a plain one falls back to the CLI, whose words the
 * errors keep.
 */

/** The socket the docker CLI uses when nothing points it elsewhere. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/**
 * The socket the docker CLI would go to, or undefined when it would go anywhere else (a `--context` or `--host`,
 * DOCKER_HOST other than a unix socket, DOCKER_CONTEXT, a current context in the CLI's config, TLS settings).
 */
export function localDockerSocket(
  target: { readonly context?: string; readonly host?: string },
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (target.context !== undefined || target.host !== undefined) return undefined;
  if (env.DOCKER_CONTEXT || env.DOCKER_TLS_VERIFY || env.DOCKER_CERT_PATH) return undefined;
  if (currentContext(env) !== undefined) return undefined;
  const host = env.DOCKER_HOST;
  if (!host) return DEFAULT_DOCKER_SOCKET;
  return host.startsWith("unix://") && host.length > "unix://".length ? host.slice("unix://".length) : undefined;
}

/** The CLI config's `currentContext` other than `default`; undefined when there is none or the file cannot be read. */
function currentContext(env: NodeJS.ProcessEnv): string | undefined {
  const folder = env.DOCKER_CONFIG || join(env.HOME || homedir(), ".docker");
  let text: string;
  try {
    text = readFileSync(join(folder, "config.json"), "utf8");
  } catch {
    return undefined;
  }
  try {
    const context = (JSON.parse(text) as { currentContext?: unknown } | null)?.currentContext;
    return typeof context === "string" && context !== "" && context !== "default" ? context : undefined;
  } catch {
    // A config the CLI cannot read either: let the CLI say so.
    return "unreadable";
  }
}

/** An Engine API answer: its HTTP status and body. */
export interface SocketAnswer {
  readonly status: number;
  readonly body: string;
}

/** Bodies qus reads from the socket are small (info, an image's record); a larger one is not a plain answer. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * `GET path` on the Engine API at a unix socket. `timeout` when the engine took the connection and said nothing
 * for `timeoutMs`; undefined when there is no plain answer (no socket, refused, cut off, too large): the caller
 * then asks the CLI, which says what is wrong in its words.
 */
export async function getFromSocket(
  socketPath: string,
  path: string,
  timeoutMs: number,
): Promise<SocketAnswer | "timeout" | undefined> {
  // Through require: importing node:http as an ES module reads its every export, and its lazy WebSocket loads undici
  // (with zlib and crypto): ~30 ms of a no-op run. Built-ins only, so the base path "/" is never used (and
  // import.meta.url is not there in the CI plugins' CommonJS bundles).
  const require = createRequire("/");
  const { request } = require("node:http") as typeof import("node:http");
  const { connect } = require("node:net") as typeof import("node:net");
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const req = request(
      // A connection of its own and no agent: an agent works out a TLS server name from the host header, and its
      // first IP-address check compiles a regular expression that costs ~10 ms of a no-op run.
      {
        createConnection: () => connect(socketPath),
        path,
        method: "GET",
        headers: { host: "docker" },
      },
      (res) => {
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy();
            resolve(undefined);
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", () => resolve(undefined));
      },
    );
    // Without an agent nothing else sets the socket's idle timeout.
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve("timeout");
    });
    req.on("error", () => resolve(undefined));
    req.end();
  });
}
