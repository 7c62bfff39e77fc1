import { createContainerDriver, createLocalDriver, type Driver } from "@qus/core";
import { createDockerCliRunner, type Exec } from "@qus/core/runner";

/**
 * The driver for the kernel a step works on: the Docker engine's, through helper containers of `image` (the docker
 * CLI's runner), or this machine's. The step and its post step use the same one.
 */
export function kernelDriver(driver: "local" | "docker", exec: Exec, image: string | undefined): Driver {
  return driver === "docker"
    ? createContainerDriver({ runner: createDockerCliRunner({ exec }), image })
    : createLocalDriver({ exec });
}
