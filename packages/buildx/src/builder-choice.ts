import { QusError } from "@qus/core";
import type { BootstrapOptions } from "./bootstrap-options.js";
import type { EngineAnswer } from "./engine.js";
import { builderName } from "./input-checks.js";

/**
 * The builder qus creates (or reuses) and makes current when the user named neither a builder nor a driver and the
 * engine's own builder cannot build the requested platforms at once: a docker-container builder, as
 * docker/setup-buildx-action sets up by default.
 */
export const MULTI_PLATFORM_BUILDER = "qus";

/** Which builder a run proves, with which driver, and whether it becomes the current one. */
export interface BuilderChoice {
  readonly name: string;
  readonly driver: "docker" | "docker-container";
  /** Make it the current builder once every platform is proven: asked (`use`), or the builder qus picked. */
  readonly use: boolean;
  /** Why qus picked this builder instead of the engine's own; absent when the user's options decided. */
  readonly reason?: string;
}

/**
 * Picks the builder: the user's when they named a builder or a driver, else the engine's `docker`-driver builder,
 * unless several platforms are asked and the engine keeps the classic image store, where that builder refuses a
 * multi-platform build: then a docker-container builder ({@link MULTI_PLATFORM_BUILDER}), made current, since the
 * user's next `docker buildx build --platform A,B` runs on the current builder. A docker-driver builder the user
 * named on such an engine is `QUS_VERIFY_FAILED` (exit 1), before anything changes: set-up fails, not their build.
 */
export function chooseBuilder(
  options: BootstrapOptions,
  engine: EngineAnswer,
  platforms: readonly string[],
): BuilderChoice {
  const refusesSeveral = platforms.length > 1 && !engine.containerdStore;
  if (options.driver === undefined && options.builder === undefined && refusesSeveral) {
    return {
      name: MULTI_PLATFORM_BUILDER,
      driver: "docker-container",
      use: true,
      reason: `the engine's own builder (${engine.context}, docker driver) cannot build ${platforms.length} platforms at once on the classic image store: builder ${MULTI_PLATFORM_BUILDER} (docker-container) is used instead, and made current once proven`,
    };
  }
  const driver = options.driver ?? "docker";
  const name = builderName(driver, engine.context, options);
  if (driver === "docker" && refusesSeveral) throw cannotBuildTogether(name, platforms);
  return { name, driver, use: options.use === true };
}

/** The error of a docker-driver builder on the classic image store asked for several platforms: both ways out. */
function cannotBuildTogether(name: string, platforms: readonly string[]): QusError {
  const list = platforms.join(",");
  return new QusError(
    "QUS_VERIFY_FAILED",
    `builder ${name} (docker driver) cannot build ${list} in one build: the engine keeps images in the classic image store, where buildx refuses a multi-platform build ("Multi-platform build is not supported for the docker driver"), so a build of these platforms together would fail`,
    {
      hint: `use a docker-container builder by name: qus buildx --platforms ${list} --name ${MULTI_PLATFORM_BUILDER} --driver docker-container --use (or leave out --driver and --name: qus then makes one); or turn on the engine's containerd image store ("features": {"containerd-snapshotter": true} in /etc/docker/daemon.json, then restart dockerd)`,
    },
  );
}
