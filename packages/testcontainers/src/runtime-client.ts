import { QusError } from "@qus/core";
import { type ContainerRuntimeClient, getContainerRuntimeClient } from "testcontainers";

/**
 * The client given, else Testcontainers' own: the engine the tests use (DOCKER_HOST, ~/.testcontainers.properties,
 * the local socket). Throws QUS_ENGINE_UNREACHABLE when Testcontainers finds no engine.
 */
export async function runtimeClient(given?: ContainerRuntimeClient): Promise<ContainerRuntimeClient> {
  if (given) return given;
  try {
    return await getContainerRuntimeClient();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new QusError(
      "QUS_ENGINE_UNREACHABLE",
      `Testcontainers found no container engine to ensure emulation on: ${detail}`,
      {
        hint: `start the engine, or point DOCKER_HOST (now ${process.env.DOCKER_HOST ?? "unset"}) or ~/.testcontainers.properties at one that answers; if it runs, this user may not use its socket (add it to the docker group); DEBUG=testcontainers* shows what Testcontainers tried`,
        cause: error,
      },
    );
  }
}
