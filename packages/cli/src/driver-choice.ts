import { type Driver, QusError } from "@qus/core";
import type { Values } from "./command.js";
import { flag, text } from "./values.js";

/** The container engines qus reaches through their CLIs, by driver name (loaded on use from ./engines.js). */
const ENGINES = new Set(["docker", "podman"]);

/** The engine the options name (docker by default), for commands that only take a container engine. */
export function engineFrom(values: Values): string {
  const name = text(values, "driver") ?? "docker";
  if (!ENGINES.has(name)) {
    throw new QusError("QUS_USAGE", `unknown driver ${JSON.stringify(name)}`, {
      hint: "use --driver docker or --driver podman",
    });
  }
  return name;
}

/** The driver the options ask for; undefined means the local default. */
export async function driverFrom(values: Values): Promise<Driver | undefined> {
  const name = text(values, "driver") ?? "local";
  if (name === "local") {
    for (const option of ["image", "privileged", "context"]) {
      if (values[option] !== undefined) {
        throw new QusError("QUS_USAGE", `--${option} goes with --driver docker or --driver podman`, {
          hint: "add --driver docker (or podman), or drop the option",
        });
      }
    }
    return undefined;
  }
  if (ENGINES.has(name)) {
    const { engineDriver } = await import("./engines.js");
    return engineDriver(name, {
      context: text(values, "context"),
      host: text(values, HOST),
      image: text(values, "image"),
      privileged: flag(values, "privileged") ? true : undefined,
    });
  }
  throw new QusError("QUS_USAGE", `unknown driver ${JSON.stringify(name)}`, {
    hint: "use --driver local, --driver docker or --driver podman",
  });
}

/** The key of {@link Values} that carries one engine address of a DOCKER_HOST list (no option can be named so). */
export const HOST = "--host";
