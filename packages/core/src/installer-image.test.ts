import { describe, expect, it } from "vitest";
import { isQusError } from "./errors.js";
import {
  defaultInstallerImage,
  imageRepository,
  installerImageOverride,
  isImageReference,
  QUS_IMAGE,
  QUS_IMAGE_REPOSITORY,
} from "./installer-image.js";
import { QUS_VERSION } from "./version.js";

describe("the default installer image", () => {
  it("is registry-qualified and carries @qus/core's version, never :latest", () => {
    expect(QUS_IMAGE).toBe(`ghcr.io/qus/qus-binfmt:${QUS_VERSION}`);
    expect(QUS_IMAGE.startsWith(`${QUS_IMAGE_REPOSITORY}:`)).toBe(true);
    expect(QUS_IMAGE).not.toMatch(/:latest$/);
    expect(isImageReference(QUS_IMAGE)).toBe(true);
  });

  it("is QUS_IMAGE from the environment when set, the default when unset or empty", () => {
    expect(defaultInstallerImage({})).toBe(QUS_IMAGE);
    expect(defaultInstallerImage({ QUS_IMAGE: "" })).toBe(QUS_IMAGE);
    expect(defaultInstallerImage({ QUS_IMAGE: "127.0.0.1:5000/qus/qus-binfmt:9" })).toBe(
      "127.0.0.1:5000/qus/qus-binfmt:9",
    );
    expect(installerImageOverride({})).toBeUndefined();
  });

  it.each(["qus binfmt", "--privileged", "$(id)", "Upper/Case"])(
    "QUS_IMAGE=%j: QUS_USAGE naming the variable",
    (bad) => {
      let thrown: unknown;
      try {
        defaultInstallerImage({ QUS_IMAGE: bad });
      } catch (error) {
        thrown = error;
      }
      expect(isQusError(thrown) && thrown.code).toBe("QUS_USAGE");
      expect((thrown as Error).message).toContain(`QUS_IMAGE=${JSON.stringify(bad)}`);
      expect(isQusError(thrown) && thrown.hint).toContain(QUS_IMAGE);
    },
  );

  it("names an image's repository without its tag or digest", () => {
    expect(imageRepository(QUS_IMAGE)).toBe(QUS_IMAGE_REPOSITORY);
    expect(imageRepository("localhost:5000/team/qus-binfmt:7")).toBe("localhost:5000/team/qus-binfmt");
    expect(imageRepository(`qus-binfmt@sha256:${"a".repeat(64)}`)).toBe("qus-binfmt");
    expect(imageRepository("[::1]:5000/qus-binfmt")).toBe("[::1]:5000/qus-binfmt");
  });
});
