import { QusError } from "@qus/core";
import {
  describeEndpoint,
  ENGINE_INFO_ARGS,
  type EngineCommand,
  readDockerIdentity,
  unreadableInfo,
} from "@qus/core/runner";
import { type BuildxCli, seconds, tail } from "./buildx-command.js";
import { usesContainerdStore } from "./image-store.js";

/** What `docker info` said about the engine and the client's context. */
export interface EngineAnswer {
  /** The docker context the client uses: the docker driver's builder is named after it. */
  readonly context: string;
  readonly serverVersion: string;
  /** The engine's ID (`docker info`'s ID): tells two names of one engine apart from two engines. */
  readonly id?: string;
  /** The engine keeps images in containerd's store: its `docker`-driver builder can build several platforms at once. */
  readonly containerdStore: boolean;
}

/**
 * Asks the engine `docker info`, bounded by `timeoutMs`, before anything else: an engine that does not answer
 * (a DOCKER_HOST that accepts and never replies) is `QUS_ENGINE_UNREACHABLE` within seconds instead of a hang,
 * a `--context` that does not exist is `QUS_USAGE`. The answer is the seam's: core's runner on the same seam reads it
 * again without asking.
 */
export async function checkEngine(
  cli: BuildxCli,
  context: string | undefined,
  timeoutMs: number,
): Promise<EngineAnswer> {
  const where = describeEndpoint(context);
  const outcome = await cli.engine.info(timeoutMs);
  if (outcome.kind === "not-installed") {
    throw new QusError("QUS_ENGINE_UNREACHABLE", `the docker client (${cli.engine.program}) is not installed`, {
      hint: "install the docker CLI and its buildx plugin",
    });
  }
  if (outcome.kind === "timed-out") {
    throw new QusError(
      "QUS_ENGINE_UNREACHABLE",
      `the docker engine at ${where} does not answer: ${cli.engine.display(ENGINE_INFO_ARGS.docker)} got no reply within ${seconds(timeoutMs)}`,
      { hint: "check that dockerd runs and that DOCKER_HOST / --context point at it" },
    );
  }
  if (context !== undefined && outcome.kind === "refused" && outcome.failure === "no-such-context") {
    throw new QusError("QUS_USAGE", `--context ${JSON.stringify(context)}: no such docker context`, {
      hint: "list the contexts with: docker context ls",
    });
  }
  const { result } = outcome;
  const info = readDockerIdentity(result.stdout);
  // A client that succeeds but prints what is not its info is broken: the same words as every other driver.
  if (result.exitCode === 0 && info === undefined) throw unreadableInfo("docker", result.stdout);
  if (result.exitCode !== 0 || !info?.serverVersion) {
    const detail = info?.serverErrors.join("; ") || tail(result) || `exit code ${result.exitCode ?? result.signal}`;
    throw new QusError("QUS_ENGINE_UNREACHABLE", `cannot reach the docker engine at ${where}: ${detail}`, {
      hint: "start the engine (dockerd), or point DOCKER_HOST / --context at a running one",
    });
  }
  return {
    context: context ?? info.clientContext ?? "default",
    serverVersion: info.serverVersion,
    containerdStore: usesContainerdStore(result.stdout),
    ...(info.id ? { id: info.id } : {}),
  };
}

/**
 * The ID of the engine a seam points at (a buildx node's endpoint: a docker context, or an engine address), or
 * undefined when it does not answer within `timeoutMs` or names none.
 */
export async function engineIdAt(command: EngineCommand, timeoutMs: number): Promise<string | undefined> {
  const outcome = await command.info(timeoutMs).catch(() => undefined);
  if (outcome?.kind !== "ran" || outcome.result.exitCode !== 0) return undefined;
  return readDockerIdentity(outcome.result.stdout)?.id;
}
