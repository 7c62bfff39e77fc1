import { BUILDER_NAME } from "@qus/buildx";
import { platformNames, QUS_IMAGE, QusError, resolvePlatforms } from "@qus/core";
import { isImageReference, quoteInput } from "@qus/core/toolkit";
import { booleanInput, lines, refuseRetired } from "./input-values.js";

/**
 * Which kernel the step sets up: `auto` is this machine's when the job can be root there and the Docker engine (if
 * any) runs on it, else the engine's; `local` this machine's; `docker` the one behind the Docker engine.
 */
export type StepKernel = "auto" | "local" | "docker";

/** The buildx drivers the step can set up a builder with, as docker/setup-buildx-action names them. */
export type StepBuildxDriver = "docker-container" | "docker";

/** The inputs every qus CI plugin takes, checked. */
export interface StepInputs {
  /** The platforms as the user wrote them, one per item (`arm64`, `linux/arm64`, `aarch64`, `all`); `all` by default. */
  readonly platforms: readonly string[];
  readonly kernel: StepKernel;
  /** The installer image for the engine's kernel; unset: core's default (QUS_IMAGE from the environment, else QUS_IMAGE of @qus/core). */
  readonly image?: string;
  /** Replace entries that differ or stand in the way. */
  readonly replace: boolean;
  /** binfmt_misc flags (`FC` by default). */
  readonly flags?: string;
  /** Also set up a buildx builder and prove it builds every platform (`buildx: true`, or `name`/`driver-opts`). */
  readonly buildx: boolean;
  /** The buildx builder's name (setup-buildx-action's `name`); generated for a docker-container builder when unset. */
  readonly name?: string;
  /** The buildx driver (setup-buildx-action's `driver`): `docker-container` by default. */
  readonly driver: StepBuildxDriver;
  /** `key=value` options of a docker-container builder (setup-buildx-action's `driver-opts`). */
  readonly driverOpts: readonly string[];
  /** Switch to the builder once it is proven (setup-buildx-action's `use`); true by default. */
  readonly use: boolean;
  /** The post step removes what this job registered and the builder it created; true by default. */
  readonly cleanup: boolean;
}

/** Reads one input; empty or absent when not given (each runner says how: `INPUT_*`, its task library). */
export type InputReader = (name: string) => string | undefined;

/** The input names, as action.yml spells them (the Azure task maps them to its own). */
export const INPUT_NAMES = [
  "platforms",
  "kernel",
  "image",
  "replace",
  "flags",
  "buildx",
  "name",
  "driver",
  "driver-opts",
  "use",
  "cleanup",
] as const;

/** One of {@link INPUT_NAMES}. */
export type InputName = (typeof INPUT_NAMES)[number];

/** Each input's value when it is not given, as action.yml declares it ("" for none). */
export const INPUT_DEFAULTS: Readonly<Record<InputName, string>> = {
  platforms: "all",
  kernel: "auto",
  image: "",
  replace: "false",
  flags: "",
  buildx: "false",
  name: "",
  driver: "docker-container",
  "driver-opts": "",
  use: "true",
  cleanup: "true",
};

/** Inputs of earlier versions, each with the input that took its place: given, they are refused naming it. */
export const RETIRED_INPUTS: Readonly<Record<string, string>> = { "builder-name": "name" };

/**
 * Reads and checks the inputs. Throws QUS_USAGE naming the input and what it takes, QUS_UNKNOWN_PLATFORM naming
 * the platform, before anything runs; a value quoted in an error is cut short (a 100 KB input makes no 100 KB error).
 */
export function readStepInputs(read: InputReader): StepInputs {
  refuseRetired(read, RETIRED_INPUTS);
  const text = (name: InputName) => read(name)?.trim() || INPUT_DEFAULTS[name] || undefined;
  const platforms = platformNames(text("platforms") ?? "");
  resolvePlatforms(platforms); // an unknown one is named now, before anything runs
  const kernel = kernelInput(text("kernel") ?? "auto");
  const name = text("name");
  if (name !== undefined && !BUILDER_NAME.test(name)) {
    throw new QusError("QUS_USAGE", `the input name is ${quoteInput(name)}: not a buildx builder name`, {
      hint: "a builder name starts with a letter and has only letters, digits, '.', '-' and '_' (buildx's rule)",
    });
  }
  const image = text("image");
  if (image !== undefined && !isImageReference(image)) {
    throw new QusError("QUS_USAGE", `the input image is ${quoteInput(image)}: not a container image reference`, {
      hint: `name the installer image as docker does, e.g. image: ${QUS_IMAGE} (the default: leave image out), a copy of it in your registry, or tonistiigi/binfmt:latest`,
    });
  }
  const driverOpts = lines(text("driver-opts"));
  for (const opt of driverOpts) {
    if (!/^[^=\s,"]+=/.test(opt)) {
      throw new QusError("QUS_USAGE", `the input driver-opts has ${quoteInput(opt)}: not key=value`, {
        hint: "one option a line, as setup-buildx-action takes them: image=moby/buildkit:buildx-stable-1, network=host",
      });
    }
  }
  const buildx = booleanInput("buildx", text("buildx")) || name !== undefined || driverOpts.length > 0;
  return {
    platforms,
    kernel,
    image,
    replace: booleanInput("replace", text("replace")),
    flags: text("flags"),
    buildx,
    name,
    driver: driverInput(text("driver") ?? "docker-container", buildx),
    driverOpts,
    use: booleanInput("use", text("use")),
    cleanup: booleanInput("cleanup", text("cleanup")),
  };
}

function kernelInput(kernel: string): StepKernel {
  if (kernel === "auto" || kernel === "local" || kernel === "docker") return kernel;
  throw new QusError("QUS_USAGE", `the input kernel is ${quoteInput(kernel)}: it takes auto, local or docker`, {
    hint: "auto (the default) sets up this machine's kernel through root or passwordless sudo when the Docker engine runs on it, else the engine's",
  });
}

/**
 * The buildx driver. `driver` meant the kernel before it meant the buildx driver (setup-buildx-action's): its old
 * values, and `docker` with no builder to set up, are refused naming `kernel`.
 */
function driverInput(driver: string, buildx: boolean): StepBuildxDriver {
  if (driver === "auto" || driver === "local") {
    throw new QusError(
      "QUS_USAGE",
      `the input driver is ${quoteInput(driver)}: driver names the buildx driver now (docker-container or docker), as setup-buildx-action's does`,
      { hint: `to choose the kernel to set up, write kernel: ${driver}` },
    );
  }
  if (driver !== "docker-container" && driver !== "docker") {
    throw new QusError("QUS_USAGE", `the input driver is ${quoteInput(driver)}: it takes docker-container or docker`, {
      hint: "docker-container (the default) builds several platforms at once; docker is the engine's own builder",
    });
  }
  if (driver === "docker" && !buildx) {
    throw new QusError(
      "QUS_USAGE",
      "the input driver is docker, but no buildx builder is set up: driver names the buildx driver now, as setup-buildx-action's does",
      {
        hint: "add buildx: true to set up the engine's own builder, or write kernel: docker for the kernel behind the engine",
      },
    );
  }
  return driver;
}
