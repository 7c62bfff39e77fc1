import { type ContainerRunner, describeApiPrivilege } from "@qus/core/runner";
import type Dockerode from "dockerode";
import { createEngineClient, type EngineRunnerOptions, engineFacts } from "./engine-client.js";
import { buildImage, imageLabels, pullImage } from "./engine-images.js";
import { runContainer, runProgram } from "./run-container.js";

/**
 * A {@link ContainerRunner} on the Docker Engine API through a dockerode client (Testcontainers' own): no docker CLI
 * needed, and the engine is the one the tests use, local or remote. Every call is bounded; every helper container
 * is removed after it ends, fails or runs out of time.
 */
export function createEngineRunner(dockerode: Dockerode, options: EngineRunnerOptions): ContainerRunner {
  const client = createEngineClient(dockerode, options);
  return {
    name: "testcontainers",
    endpoint: client.endpoint,
    info: async () => (await engineFacts(client)).info,
    describePrivilege: describeApiPrivilege,
    imageLabels: (image) => imageLabels(client, image),
    run: (spec) => runContainer(client, spec),
    runProgram: (spec, program) => runProgram(client, spec, program),
    pull: (image) => pullImage(client, image),
    buildImage: (spec) => buildImage(client, spec),
  };
}
