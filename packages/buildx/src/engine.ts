import { isQusError, QusError } from "@qus/core";
import { type Exec, unreadableInfo } from "@qus/core/runner";
import { type BuildxCli, seconds, tail } from "./buildx-command.js";

/** What `docker info` said about the engine and the client's context. */
export interface EngineAnswer {
  /** The docker context the client uses: the docker driver's builder is named after it. */
  readonly context: string;
  readonly serverVersion: string;
  /** The engine's ID (`docker info`'s ID): tells two names of one engine apart from two engines. */
  readonly id?: string;
}

/** The argv of the engine check. */
export const INFO_ARGS = ["info", "--format", "{{json .}}"];

/**
 * Asks the engine `docker info`, bounded by `timeoutMs`, before anything else: an engine that does not answer
 * (a DOCKER_HOST that accepts and never replies) is `QUS_ENGINE_UNREACHABLE` within seconds instead of a hang,
 * a `--context` that does not exist is `QUS_USAGE`.
 */
export async function checkEngine(
  cli: BuildxCli,
  context: string | undefined,
  timeoutMs: number,
): Promise<EngineAnswer> {
  const command = cli.displayDocker(INFO_ARGS);
  const where = endpoint(context);
  let result: Awaited<ReturnType<BuildxCli["docker"]>>;
  try {
    result = await cli.docker(INFO_ARGS, { timeoutMs });
  } catch (error) {
    if (isQusError(error) && error.code === "QUS_TIMEOUT") {
      throw new QusError(
        "QUS_ENGINE_UNREACHABLE",
        `the docker engine at ${where} does not answer: ${command} got no reply within ${seconds(timeoutMs)}`,
        { hint: "check that dockerd runs and that DOCKER_HOST / --context point at it", cause: error },
      );
    }
    throw error;
  }
  const output = `${result.stderr}\n${result.stdout}`;
  if (context !== undefined && /context .*(not found|does not exist)/i.test(output)) {
    throw new QusError("QUS_USAGE", `--context ${JSON.stringify(context)}: no such docker context`, {
      hint: "list the contexts with: docker context ls",
    });
  }
  let info:
    | { ID?: string; ServerVersion?: string; ServerErrors?: string[]; ClientInfo?: { Context?: string } }
    | undefined;
  try {
    info = JSON.parse(result.stdout.trim() || "null") ?? undefined;
  } catch {
    info = undefined;
  }
  // A client that succeeds but prints what is not its info is broken: the same words as every other driver.
  if (result.exitCode === 0 && (typeof info !== "object" || info === null))
    throw unreadableInfo("docker", result.stdout);
  if (result.exitCode !== 0 || !info?.ServerVersion) {
    const detail = info?.ServerErrors?.join("; ") || tail(result) || `exit code ${result.exitCode ?? result.signal}`;
    throw new QusError("QUS_ENGINE_UNREACHABLE", `cannot reach the docker engine at ${where}: ${detail}`, {
      hint: "start the engine (dockerd), or point DOCKER_HOST / --context at a running one",
    });
  }
  return {
    context: context ?? info.ClientInfo?.Context ?? "default",
    serverVersion: info.ServerVersion,
    ...(info.ID ? { id: info.ID } : {}),
  };
}

/**
 * The ID of the engine at a buildx node's endpoint (a docker context, or an engine address for `--host`), or
 * undefined when it does not answer within `timeoutMs` or names none.
 */
export async function engineIdAt(exec: Exec, endpoint: string, timeoutMs: number): Promise<string | undefined> {
  const target = endpoint.includes("://") ? ["--host", endpoint] : ["--context", endpoint];
  const result = await exec("docker", [...target, ...INFO_ARGS], { timeoutMs }).catch(() => undefined);
  if (result?.exitCode !== 0) return undefined;
  try {
    const id = (JSON.parse(result.stdout.trim() || "null") as { ID?: unknown } | null)?.ID;
    return typeof id === "string" && id !== "" ? id : undefined;
  } catch {
    return undefined;
  }
}

function endpoint(context: string | undefined): string {
  if (context !== undefined) return `context ${context}`;
  return process.env.DOCKER_HOST ?? process.env.DOCKER_CONTEXT ?? "the default endpoint";
}
