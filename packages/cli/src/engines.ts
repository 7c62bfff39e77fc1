// Loaded only by commands that reach a container engine: the local path's start-up stays small (tools/bench).
import { createContainerDriver, type Driver } from "@qus/core";
import { type ContainerRunner, createDockerCliRunner, createPodmanCliRunner } from "@qus/core/runner";
import { buildImage, type ImageBuildOptions, type ImageBuildResult } from "@qus/core/toolkit";

const RUNNERS: Record<string, (context: string | undefined, host?: string) => ContainerRunner> = {
  docker: (context, host) => createDockerCliRunner({ context, host }),
  podman: (connection) => createPodmanCliRunner({ connection }),
};

/** The runner of an engine the CLI knows (`docker`, `podman`), reaching `context` (or the address `host`) when given. */
export function engineRunner(engine: string, context: string | undefined, host?: string): ContainerRunner {
  const create = RUNNERS[engine];
  if (!create) throw new Error(`no runner for engine ${engine}`);
  return create(context, host);
}

/** The container driver over an engine's runner. */
export function engineDriver(
  engine: string,
  options: { context?: string; host?: string; image?: string; privileged?: boolean },
): Driver {
  return createContainerDriver({
    runner: engineRunner(engine, options.context, options.host),
    image: options.image,
    privileged: options.privileged,
  });
}

/** `qus image build` on an engine. */
export function buildImageOn(
  engine: string,
  context: string | undefined,
  options: Omit<ImageBuildOptions, "runner">,
): Promise<ImageBuildResult> {
  return buildImage({ ...options, runner: engineRunner(engine, context) });
}
