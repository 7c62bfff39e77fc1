import { isQusError, QusError } from "@qus/core";
import { type BuildxCli, seconds, tail } from "./buildx-command.js";

/** What `docker info` said about the engine and the client's context. */
export interface EngineAnswer {
  /** The docker context the client uses: the docker driver's builder is named after it. */
  readonly context: string;
  readonly serverVersion: string;
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
  let info: { ServerVersion?: string; ServerErrors?: string[]; ClientInfo?: { Context?: string } } | undefined;
  try {
    info = JSON.parse(result.stdout.trim() || "null") ?? undefined;
  } catch {
    info = undefined;
  }
  if (result.exitCode !== 0 || !info?.ServerVersion) {
    const detail = info?.ServerErrors?.join("; ") || tail(result) || `exit code ${result.exitCode ?? result.signal}`;
    throw new QusError("QUS_ENGINE_UNREACHABLE", `cannot reach the docker engine at ${where}: ${detail}`, {
      hint: "start the engine (dockerd), or point DOCKER_HOST / --context at a running one",
    });
  }
  return { context: context ?? info.ClientInfo?.Context ?? "default", serverVersion: info.ServerVersion };
}

function endpoint(context: string | undefined): string {
  if (context !== undefined) return `context ${context}`;
  return process.env.DOCKER_HOST ?? process.env.DOCKER_CONTEXT ?? "the default endpoint";
}
