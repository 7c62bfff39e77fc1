import { QusError } from "../../errors.js";
import { createDockerCliRunner } from "../../runner/docker-cli.js";
import type { ContainerRunner, EngineInfo } from "../../runner/types.js";
import { formatCommand } from "../../shell-quote.js";
import type { Driver } from "../types.js";
import { createHelperDriver } from "./helper-driver.js";
import { DEFAULT_PROBE_TIMEOUT_MS } from "./helper-session.js";
import { TONISTIIGI_IMAGE } from "./tonistiigi.js";
import { createTonistiigiDriver } from "./tonistiigi-driver.js";

/** qus's own installer image, built by `qus image build` from Debian packages. */
export const QUS_IMAGE = "qus-binfmt:latest";

/** Options of the container driver. */
export interface ContainerDriverOptions {
  /** Runs helper containers, and names the driver in reports: the docker CLI by default. */
  readonly runner?: ContainerRunner;
  /**
   * Installer image. Default: {@link QUS_IMAGE} when the engine has it (offline, verified in one run),
   * otherwise the pinned tonistiigi/binfmt, pulled if needed. An image is used as qus's installer only when its
   * labels say it is one (`qus image build` sets them); tonistiigi/binfmt images are driven through their own CLI.
   */
  readonly image?: string;
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
  let resolved: Promise<Driver> | undefined;
  const driver = () => {
    resolved ??= resolveDriver(runner, options);
    return resolved;
  };
  return {
    name: runner.name,
    inspect: async (request) => (await driver()).inspect(request),
    apply: async (steps, verify) => (await driver()).apply(steps, verify),
    remove: async (names) => (await driver()).remove(names),
  };
}

// docker's reference grammar (distribution/reference): [registry[:port]/]path[:tag][@digest], the path in lower
// case. Anything else (spaces, quotes, `$(...)`, a leading `-`) is refused before docker sees it.
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REGISTRY =
  "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?";
const IMAGE_REFERENCE = new RegExp(
  `^(?:${REGISTRY}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$`,
);

/** Whether a string is an image reference docker accepts (`qus-binfmt:latest`, `registry:5000/a/b@sha256:...`). */
export function isImageReference(image: string): boolean {
  return image.length <= 512 && IMAGE_REFERENCE.test(image);
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

async function resolveDriver(runner: ContainerRunner, options: ContainerDriverOptions): Promise<Driver> {
  const image = options.image ?? QUS_IMAGE;
  // Both at once (one round trip less); when the engine does not answer, docker info's error is the one to show.
  const [info, labels] = await Promise.allSettled([runner.info(), runner.imageLabels(image)]);
  if (info.status === "rejected") throw info.reason;
  if (labels.status === "rejected") throw labels.reason;
  const engine = info.value;
  requireRootfulEngine(engine, runner.name);
  const helperOptions = { privileged: options.privileged, probeTimeoutMs: options.probeTimeoutMs };
  const build = imageBuildCommand(runner.name);
  if (labels.value && isQusInstaller(labels.value)) {
    return createHelperDriver(runner, image, engine, labels.value, {
      ...helperOptions,
      explicitImage: options.image !== undefined,
    });
  }
  if (options.image === undefined) {
    if (labels.value) throw notAnInstaller(engine, image, false, build);
  } else if (!isTonistiigi(options.image)) {
    throw labels.value ? notAnInstaller(engine, image, true, build) : imageMissing(engine, image, build, runner.name);
  }
  const fallback = options.image ?? TONISTIIGI_IMAGE;
  const present = options.image !== undefined ? labels.value !== undefined : !!(await runner.imageLabels(fallback));
  if (!present && !(await runner.pull(fallback))) throw imageMissing(engine, fallback, build, runner.name);
  return createTonistiigiDriver(runner, fallback, engine, {
    privileged: options.privileged ?? false,
    probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
  });
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

function imageMissing(engine: EngineInfo, image: string, build: string, runnerName: string): QusError {
  return new QusError(
    "QUS_IMAGE_MISSING",
    `the engine at ${engine.endpoint} has no image ${image}, and it could not be pulled`,
    {
      hint: `build qus's own on this engine, which needs no registry: ${build} (or load ${image} with ${runnerName} load)`,
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
