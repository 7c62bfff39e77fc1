import { QUS_IMAGE } from "@qus/core";
import type { Command, OptionSpec } from "./command.js";
import { driverOptions, json } from "./common-options.js";
import { engineFrom } from "./driver-choice.js";
import { flag, text } from "./values.js";

/** `qus image build`: qus's installer image, built on the docker or podman engine. */
export const IMAGE_BUILD_COMMAND: Command = {
  name: "image build",
  summary:
    "build qus's installer image (busybox + QEMU from Debian packages, FROM scratch) on the docker or podman engine",
  usage:
    "qus image build [--tag T] [--platform P] [--deb-dir DIR] [--qemu-from SOURCE] [--driver docker|podman] [--context NAME] [--dry-run] [--json]",
  options: {
    tag: {
      type: "string",
      value: "T",
      help: `image tag (default $QUS_IMAGE, else ${QUS_IMAGE}, the image ensure uses; <repository>:<qus version>-qemu-<QEMU version> is added)`,
    },
    platform: {
      type: "string",
      value: "P",
      help: "the image's platform (linux/amd64, linux/arm64, ...; default the engine's): built from that architecture's Debian packages; another architecture's must run on the engine first (qus ensure --platforms P)",
    },
    "deb-dir": {
      type: "string",
      value: "DIR",
      help: "use busybox-static and qemu-user-static .deb files from DIR instead of downloading",
    },
    "qemu-from": {
      type: "string",
      value: "SOURCE",
      help: "put the QEMU of SOURCE (debian:bookworm, debian:trixie, debian:sid) in the image, from qus's cache (fetched when needed)",
    },
    driver: {
      type: "string",
      value: "NAME",
      help: "the engine to build on: docker (default; DOCKER_HOST, DOCKER_CONTEXT) or podman (rootful)",
    },
    context: driverOptions.context as OptionSpec,
    "dry-run": { type: "boolean", help: "prepare the image and print its Dockerfile, build nothing" },
    json,
  },
  needsPlatforms: false,
  run: async (v) => {
    const engine = engineFrom(v);
    const { buildImageOn } = await import("./engines.js");
    const result = await buildImageOn(engine, text(v, "context"), {
      tag: text(v, "tag"),
      platform: text(v, "platform"),
      debDir: text(v, "deb-dir"),
      qemuFrom: text(v, "qemu-from"),
      dryRun: flag(v, "dry-run"),
    });
    const packages = result.packages.map((pkg) => `${pkg.name} ${pkg.version}`).join(", ");
    const lines = result.built
      ? [
          `built ${result.tags.join(", ")} for ${result.architecture}`,
          `  ${result.qemuVersion}`,
          `  from ${packages}${result.qemuSource ? ` (QEMU from ${result.qemuSource})` : ""}`,
        ]
      : [
          `(dry run) would build ${result.tags.join(", ")} for ${result.architecture} from ${packages}`,
          result.dockerfile,
        ];
    return { text: `${lines.join("\n")}\n`, json: result };
  },
};
