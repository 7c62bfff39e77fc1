import { QusError } from "../../errors.js";
import { installerImageOverride, isImageReference, QUS_IMAGE, QUS_IMAGE_VARIABLE } from "../../installer-image.js";
import { createDockerCliRunner } from "../../runner/docker-cli.js";
import type { ContainerRunner, EngineInfo } from "../../runner/types.js";
import { formatCommand } from "../../shell-quote.js";
import type { Driver } from "../types.js";
import { createHelperDriver } from "./helper-driver.js";
import { DEFAULT_PROBE_TIMEOUT_MS } from "./helper-session.js";
import { TONISTIIGI_IMAGE } from "./tonistiigi.js";
import { createTonistiigiDriver } from "./tonistiigi-driver.js";

// The one default reference lives below every room (installer-image.ts); named here too for the driver's users.
export { isImageReference, QUS_IMAGE } from "../../installer-image.js";

/** Options of the container driver. */
export interface ContainerDriverOptions {
  /** Runs helper containers, and names the driver in reports: the docker CLI by default. */
  readonly runner?: ContainerRunner;
  /**
   * Installer image. Default: `QUS_IMAGE` from {@link ContainerDriverOptions.env}, else {@link QUS_IMAGE}; pulled
   * when the engine lacks it (QUS_IMAGE_MISSING when that fails: `qus image build` makes it with no registry). An
   * image is used as qus's installer only when its labels say it is one (`qus image build` sets them);
   * tonistiigi/binfmt images, only when named, are driven through their own CLI.
   */
  readonly image?: string;
  /** Where the `QUS_IMAGE` override is read: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** true: start with full privilege (`--privileged`); false: least privilege only, never escalate; unset: escalate when least is refused. */
  readonly privileged?: boolean;
  /** How long one probe (or one `qemu --version`) may run in the container before it counts as hung: 20 s. */
  readonly probeTimeoutMs?: number;
}

/**
 * The driver for the kernel behind a container engine (DOCKER_HOST, a context, docker:dind): it reaches that
 * kernel through short-lived containers of an installer image, and verifies there, where builds run.
 */
export function createContainerDriver(options: ContainerDriverOptions = {}): Driver {
  const runner = options.runner ?? createDockerCliRunner();
  if (options.image !== undefined) checkImageReference(options.image);
  // Named by the user, on the command line or in the environment (checked there): used as named, never replaced.
  const chosen = options.image ?? installerImageOverride(options.env);
  let resolved: Promise<Driver> | undefined;
  const driver = () => {
    resolved ??= resolveDriver(runner, options, chosen);
    return resolved;
  };
  return {
    name: runner.name,
    inspect: async (request) => (await driver()).inspect(request),
    apply: async (steps, verify) => (await driver()).apply(steps, verify),
    remove: async (names) => (await driver()).remove(names),
  };
}

function checkImageReference(image: string): void {
  if (!isImageReference(image)) {
    throw new QusError("QUS_USAGE", `--image ${JSON.stringify(image)} is not an image reference`, {
      hint: `name an image as docker does (${QUS_IMAGE}, ${TONISTIIGI_IMAGE}); build qus's own with ${formatCommand(["qus", "image", "build"])}`,
    });
  }
}

/** Whether an image's labels say it is qus's installer image (`qus image build` sets them). */
export function isQusInstaller(labels: Readonly<Record<string, string>>): boolean {
  return labels["org.opencontainers.image.title"] === "qus-binfmt" || "org.qus.qemu.version" in labels;
}

/** Whether an image is tonistiigi/binfmt, by its name. */
export function isTonistiigi(image: string): boolean {
  return /(^|\/)tonistiigi\/binfmt(:|@|$)/.test(image);
}

async function resolveDriver(
  runner: ContainerRunner,
  options: ContainerDriverOptions,
  chosen?: string,
): Promise<Driver> {
  const image = chosen ?? QUS_IMAGE;
  // Both at once (one round trip less); when the engine does not answer, docker info's error is the one to show.
  const [info, labels] = await Promise.allSettled([runner.info(), runner.imageLabels(image)]);
  if (info.status === "rejected") throw info.reason;
  if (labels.status === "rejected") throw labels.reason;
  const engine = info.value;
  requireRootfulEngine(engine, runner.name);
  const build = imageBuildCommand(runner.name);
  const found = labels.value ?? (await pulledLabels(runner, image));
  if (found === undefined) throw imageMissing(engine, image, build, runner.name, chosen !== undefined);
  if (isQusInstaller(found)) {
    return createHelperDriver(runner, image, engine, found, {
      privileged: options.privileged,
      probeTimeoutMs: options.probeTimeoutMs,
      explicitImage: chosen !== undefined,
    });
  }
  // tonistiigi/binfmt only when the user names it: never a silent fallback to Docker Hub.
  if (chosen === undefined || !isTonistiigi(chosen)) throw notAnInstaller(engine, image, chosen !== undefined, build);
  return createTonistiigiDriver(runner, chosen, engine, {
    privileged: options.privileged ?? false,
    probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
  });
}

/** Pulls an image the engine lacks and reads its labels; undefined when the pull fails. */
async function pulledLabels(runner: ContainerRunner, image: string): Promise<Record<string, string> | undefined> {
  if (!(await runner.pull(image))) return undefined;
  return (await runner.imageLabels(image)) ?? {};
}

function requireRootfulEngine(engine: EngineInfo, name: string): void {
  if (engine.rootless || engine.userns) {
    throw new QusError(
      "QUS_ENGINE_ROOTLESS",
      `the ${name} engine at ${engine.endpoint} is ${engine.rootless ? "rootless" : "running with user namespace remapping"}: its containers cannot register in the host kernel`,
      {
        hint: `run qus ensure --driver local on the host as root, or use a rootful engine${name === "podman" ? " (run podman, and qus, as root)" : ""}`,
      },
    );
  }
}

/** The command that builds qus's installer on this runner's engine. */
function imageBuildCommand(runnerName: string): string {
  return formatCommand(["qus", "image", "build", ...(runnerName === "docker" ? [] : ["--driver", runnerName])]);
}

function imageMissing(engine: EngineInfo, image: string, build: string, runnerName: string, chosen: boolean): QusError {
  const instead = chosen ? "" : `, or name an installer image you have with --image or ${QUS_IMAGE_VARIABLE}`;
  return new QusError(
    "QUS_IMAGE_MISSING",
    `the engine at ${engine.endpoint} has no image ${image}, and it could not be pulled`,
    {
      hint: `build qus's own on this engine, which needs no registry: ${build} (or load ${image} with ${runnerName} load${instead})`,
    },
  );
}

/**
 * An image that is neither qus's installer (no qus labels) nor tonistiigi/binfmt: qus cannot know what it would
 * do with it. Given by the user: bad input; the default tag taken by another image: the engine's state.
 */
function notAnInstaller(engine: EngineInfo, image: string, explicit: boolean, build: string): QusError {
  const message = `the image ${image} on the engine at ${engine.endpoint} is not an installer qus can use: it has no qus-binfmt labels (org.qus.qemu.version), and it is not tonistiigi/binfmt`;
  return explicit
    ? new QusError("QUS_USAGE", message, {
        hint: `build qus's installer with ${build} and leave --image out, or pass a tonistiigi/binfmt image (--image ${TONISTIIGI_IMAGE})`,
      })
    : new QusError("QUS_IMAGE_MISSING", message, {
        hint: `${image} was tagged by something else: build qus's installer again with ${build}`,
      });
}
