import { BUILDER_NAME } from "@qus/buildx";
import { platformNames, QusError, resolvePlatforms } from "@qus/core";
import { isImageReference, quoteInput } from "@qus/core/toolkit";

/** Where the step sets up emulation: `auto` is the Docker engine's kernel when one answers, else this machine's. */
export type StepDriver = "auto" | "local" | "docker";

/** The inputs every qus CI plugin takes, checked. */
export interface StepInputs {
  /** The platforms as the user wrote them, one per item (`arm64`, `linux/arm64`, `aarch64`, `all`). */
  readonly platforms: readonly string[];
  readonly driver: StepDriver;
  /** The installer image for the docker driver. */
  readonly image?: string;
  /** Replace entries that differ or stand in the way. */
  readonly replace: boolean;
  /** binfmt_misc flags (`FC` by default). */
  readonly flags?: string;
  /** Also bootstrap a buildx builder and prove it builds every platform. */
  readonly buildx: boolean;
  /** The buildx builder's name: a docker-container builder; the engine's own (docker driver) when unset. */
  readonly builderName?: string;
  /** The post step removes what this job registered and the builder it created. */
  readonly cleanup: boolean;
}

/** Reads one input; empty or absent when not given (each runner says how: `INPUT_*`, its task library). */
export type InputReader = (name: string) => string | undefined;

/** The input names, as action.yml and task.json spell them. */
export const INPUT_NAMES = [
  "platforms",
  "driver",
  "image",
  "replace",
  "flags",
  "buildx",
  "builder-name",
  "cleanup",
] as const;

/**
 * Reads and checks the inputs. Throws QUS_USAGE naming the input and what it takes, QUS_UNKNOWN_PLATFORM naming
 * the platform, before anything runs; a value quoted in an error is cut short (a 100 KB input makes no 100 KB error).
 */
export function readStepInputs(read: InputReader): StepInputs {
  const text = (name: string) => read(name)?.trim() || undefined;
  const platforms = platformNames(text("platforms") ?? "");
  if (platforms.length === 0) {
    throw new QusError("QUS_USAGE", "the input platforms is empty", {
      hint: "name the platforms to set up, comma or newline separated: platforms: linux/arm64,linux/riscv64 (or all)",
    });
  }
  resolvePlatforms(platforms); // an unknown one is named now, before anything runs
  const driver = text("driver") ?? "auto";
  if (driver !== "auto" && driver !== "local" && driver !== "docker") {
    throw new QusError("QUS_USAGE", `the input driver is ${quoteInput(driver)}: it takes auto, local or docker`, {
      hint: "auto (the default) uses the Docker engine's kernel when an engine answers, else this machine's",
    });
  }
  const builderName = text("builder-name");
  if (builderName !== undefined && !BUILDER_NAME.test(builderName)) {
    throw new QusError("QUS_USAGE", `the input builder-name is ${quoteInput(builderName)}: not a buildx builder name`, {
      hint: "a builder name starts with a letter and has only letters, digits, '.', '-' and '_' (buildx's rule)",
    });
  }
  const image = text("image");
  if (image !== undefined && !isImageReference(image)) {
    throw new QusError("QUS_USAGE", `the input image is ${quoteInput(image)}: not a container image reference`, {
      hint: "name the installer image as docker does, e.g. image: ghcr.io/your-org/qus-binfmt:v1 (build it with qus image build) or tonistiigi/binfmt:latest",
    });
  }
  return {
    platforms,
    driver,
    image,
    replace: booleanInput("replace", text("replace")),
    flags: text("flags"),
    buildx: booleanInput("buildx", text("buildx")) || builderName !== undefined,
    builderName,
    cleanup: booleanInput("cleanup", text("cleanup")),
  };
}

// YAML 1.2's core schema, as both runners document their boolean inputs.
const TRUE = new Set(["true", "True", "TRUE"]);
const FALSE = new Set(["false", "False", "FALSE"]);

function booleanInput(name: string, value: string | undefined): boolean {
  if (value === undefined || FALSE.has(value)) return false;
  if (TRUE.has(value)) return true;
  throw new QusError("QUS_USAGE", `the input ${name} is ${quoteInput(value)}: it takes true or false`, {
    hint: `write ${name}: true, or leave it out for false`,
  });
}
