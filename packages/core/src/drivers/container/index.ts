import { QusError } from "../../errors.js";
import { createDockerCliRunner } from "../../runner/docker-cli.js";
import type { ContainerRunner, EngineInfo } from "../../runner/types.js";
import type { Driver } from "../types.js";
import { createHelperDriver } from "./helper-driver.js";
import { TONISTIIGI_IMAGE } from "./tonistiigi.js";
import { createTonistiigiDriver } from "./tonistiigi-driver.js";

/** qus's own installer image, built by `qus image build` from Debian packages. */
export const QUS_IMAGE = "qus-binfmt:latest";

/** Options of the container driver. */
export interface ContainerDriverOptions {
  /** Runs helper containers; the docker CLI by default. */
  readonly runner?: ContainerRunner;
  /**
   * Installer image. Default: {@link QUS_IMAGE} when the engine has it (offline, verified in one run),
   * otherwise the pinned tonistiigi/binfmt, pulled if needed.
   */
  readonly image?: string;
  /** Start with `--privileged` instead of `--cap-add SYS_ADMIN`. */
  readonly privileged?: boolean;
}

/**
 * The driver for the kernel behind a container engine (DOCKER_HOST, a context, docker:dind): it reaches that
 * kernel through short-lived containers of an installer image, and verifies there, where builds run.
 */
export function createContainerDriver(options: ContainerDriverOptions = {}): Driver {
  const runner = options.runner ?? createDockerCliRunner();
  let resolved: Promise<Driver> | undefined;
  const driver = () => {
    resolved ??= resolveDriver(runner, options);
    return resolved;
  };
  return {
    name: "docker",
    inspect: async (request) => (await driver()).inspect(request),
    apply: async (steps, verify) => (await driver()).apply(steps, verify),
    remove: async (names) => (await driver()).remove(names),
  };
}

async function resolveDriver(runner: ContainerRunner, options: ContainerDriverOptions): Promise<Driver> {
  const [engine, ownLabels] = await Promise.all([runner.info(), runner.imageLabels(options.image ?? QUS_IMAGE)]);
  requireRootfulEngine(engine);
  if (ownLabels) return createHelperDriver(runner, options.image ?? QUS_IMAGE, engine, ownLabels, options.privileged);
  if (options.image && !isTonistiigi(options.image)) throw imageMissing(engine, options.image);
  const image = options.image ?? TONISTIIGI_IMAGE;
  if (!(await runner.imageLabels(image)) && !(await runner.pull(image))) throw imageMissing(engine, image);
  return createTonistiigiDriver(runner, image, engine, options.privileged ?? false);
}

function isTonistiigi(image: string): boolean {
  return /(^|\/)tonistiigi\/binfmt(:|@|$)/.test(image);
}

function requireRootfulEngine(engine: EngineInfo): void {
  if (engine.rootless || engine.userns) {
    throw new QusError(
      "QUS_ENGINE_ROOTLESS",
      `the engine at ${engine.endpoint} is ${engine.rootless ? "rootless" : "running with userns-remap"}: its containers cannot register in the host kernel`,
      { hint: "run qus ensure --driver local on the host as root, or use a rootful engine" },
    );
  }
}

function imageMissing(engine: EngineInfo, image: string): QusError {
  return new QusError(
    "QUS_IMAGE_MISSING",
    `the engine at ${engine.endpoint} has no image ${image}, and it could not be pulled`,
    {
      hint: `build qus's own on this engine, which needs no registry: qus image build (or load ${image} with docker load)`,
    },
  );
}
