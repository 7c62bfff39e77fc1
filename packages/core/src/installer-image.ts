/**
 * The one name of qus's installer image, below every room that needs it (the container driver, the image build,
 * the adapters): where qus publishes it, the versioned default reference, the one override (`QUS_IMAGE`), and the
 * reference grammar every image name is checked against.
 */
import { QusError } from "./errors.js";
import { formatCommand } from "./shell-quote.js";
import { QUS_VERSION } from "./version.js";

/** Where qus publishes its installer image (one multi-platform image per release: linux/amd64, linux/arm64). */
export const QUS_IMAGE_REPOSITORY = "ghcr.io/qus/qus-binfmt";

/** qus's default installer image: {@link QUS_IMAGE_REPOSITORY} at @qus/core's version, never `:latest`. */
export const QUS_IMAGE = `${QUS_IMAGE_REPOSITORY}:${QUS_VERSION}`;

/** The environment variable that overrides the default installer image wherever one is taken. */
export const QUS_IMAGE_VARIABLE = "QUS_IMAGE";

// docker's reference grammar (distribution/reference): [registry[:port]/]path[:tag][@digest], the path in lower
// case. Anything else (spaces, quotes, `$(...)`, a leading `-`) is refused before docker sees it.
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REGISTRY =
  "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?";
const REPOSITORY = `(?:${REGISTRY}/)?${COMPONENT}(?:/${COMPONENT})*`;
const IMAGE_REFERENCE = new RegExp(
  `^(${REPOSITORY})(?::[\\w][\\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$`,
);

/** Whether a string is an image reference docker accepts (`ghcr.io/qus/qus-binfmt:0.1.0`, `registry:5000/a/b@sha256:...`). */
export function isImageReference(image: string): boolean {
  return image.length <= 512 && IMAGE_REFERENCE.test(image);
}

/** The repository of an image reference, without its tag or digest (`ghcr.io/qus/qus-binfmt`). */
export function imageRepository(image: string): string {
  return IMAGE_REFERENCE.exec(image)?.[1] ?? image;
}

/**
 * The installer image the environment names in `QUS_IMAGE`, checked as an image reference; undefined when the
 * variable is unset or empty.
 */
export function installerImageOverride(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[QUS_IMAGE_VARIABLE];
  if (value === undefined || value === "") return undefined;
  if (!isImageReference(value)) {
    throw new QusError("QUS_USAGE", `${QUS_IMAGE_VARIABLE}=${JSON.stringify(value)} is not an image reference`, {
      hint: `set ${QUS_IMAGE_VARIABLE} to a full image reference such as ${QUS_IMAGE}, or unset it to use that default (build it locally with ${formatCommand(["qus", "image", "build"])})`,
    });
  }
  return value;
}

/** The installer image to use when none is named: `QUS_IMAGE` from the environment, else {@link QUS_IMAGE}. */
export function defaultInstallerImage(env: NodeJS.ProcessEnv = process.env): string {
  return installerImageOverride(env) ?? QUS_IMAGE;
}
