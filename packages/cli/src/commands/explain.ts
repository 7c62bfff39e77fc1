import { QusError } from "@qus/core";
import { type Command, POSITIONALS } from "../command.js";
import { text } from "../values.js";

const usage = "qus explain FILE... | --image REF [--platform P] [PATH...] [--driver docker] [--context NAME] [--json]";

/** `qus explain`: why a program does (not) run here, in a chroot, in a container, and the command that fixes it. */
export const EXPLAIN_COMMAND: Command = {
  name: "explain",
  summary:
    "say whether programs (ELF files, or an image's entrypoint) run here, in a chroot and in a container, why not, and the fix",
  usage,
  positionals: "FILE...",
  options: {
    image: {
      type: "string",
      value: "REF",
      help: "explain a container image on the engine (read without running it): its entrypoint, or the PATHs given",
    },
    platform: {
      type: "string",
      value: "P",
      help: "with --image: the platform the image must be (linux/arm64); an error when the engine's copy is another",
    },
    driver: {
      type: "string",
      value: "NAME",
      help: "files: local (this machine's kernel, the default); --image: docker (the engine's kernel, the default)",
    },
    context: { type: "string", value: "NAME", help: "with --image: docker context to use" },
    json: { type: "boolean", help: "print the explanation as JSON (stable shape, schemaVersion 1)" },
  },
  needsPlatforms: false,
  run: async (v) => {
    const paths = Array.isArray(v[POSITIONALS]) ? (v[POSITIONALS] as string[]) : [];
    const image = text(v, "image");
    const driver = text(v, "driver");
    const fail = (message: string, hint: string) => new QusError("QUS_USAGE", `qus explain: ${message}`, { hint });
    if (image === undefined) {
      for (const option of ["platform", "context"]) {
        if (v[option] !== undefined) throw fail(`--${option} goes with --image`, `usage: ${usage}`);
      }
      if (driver !== undefined && driver !== "local") {
        throw fail(
          `files are explained for this machine's kernel (--driver local), not ${driver}`,
          `for an image on the engine: qus explain --image REF`,
        );
      }
      if (paths.length === 0) throw fail("name at least one file, or --image REF", `usage: ${usage}`);
      const { explainFiles, renderExplanation, explanationExitCode } = await import("../lazy/explain.js");
      const explanation = await explainFiles(paths);
      return { text: renderExplanation(explanation), json: explanation, exitCode: explanationExitCode(explanation) };
    }
    if (driver !== undefined && driver !== "docker") {
      throw fail(
        `--image is explained through the docker engine, not ${driver}`,
        "use --driver docker (the default with --image)",
      );
    }
    const { explainImage, renderExplanation, explanationExitCode } = await import("../lazy/explain.js");
    const explanation = await explainImage({
      ref: image,
      platform: text(v, "platform"),
      paths,
      context: text(v, "context"),
    });
    return { text: renderExplanation(explanation), json: explanation, exitCode: explanationExitCode(explanation) };
  },
};
