import { QusError } from "@qus/core";
import type { BootstrapOptions } from "./bootstrap-options.js";

/** buildx's rule for builder (and node) names: a letter, then letters, digits, `.`, `-` and `_`. */
export const BUILDER_NAME = /^[a-zA-Z][a-zA-Z0-9._-]*$/;

/** A builder name as buildx accepts it (its `store.ValidateName`), or a `QUS_USAGE` error naming it. */
export function validateBuilderName(name: string): string {
  if (!BUILDER_NAME.test(name)) {
    throw new QusError("QUS_USAGE", `invalid builder name ${JSON.stringify(name)} (--name)`, {
      hint: "a builder name starts with a letter and has only letters, digits, '.', '-' and '_' (buildx's rule)",
    });
  }
  return name;
}

/** A `--driver-opt` as buildx takes it: `key=value`, or a `QUS_USAGE` error naming it. */
export function validateDriverOpt(opt: string): string {
  if (!/^[^=\s,"]+=/.test(opt) || /[\n\r\0]/.test(opt)) {
    throw new QusError("QUS_USAGE", `invalid --driver-opt ${JSON.stringify(opt)}: expected key=value`, {
      hint: "for example --driver-opt image=moby/buildkit:buildx-stable-1 or --driver-opt network=host",
    });
  }
  return opt;
}

/** Checks what needs no process: the driver, the builder name and the driver options. */
export function checkInput(driver: string, options: BootstrapOptions): void {
  if (driver !== "docker" && driver !== "docker-container") {
    throw new QusError("QUS_USAGE", `unknown buildx driver ${JSON.stringify(driver)}`, {
      hint: "use docker or docker-container",
    });
  }
  if (options.builder !== undefined) validateBuilderName(options.builder);
  const opts = options.driverOpts ?? [];
  if (driver === "docker" && opts.length > 0) {
    throw new QusError(
      "QUS_USAGE",
      `--driver-opt ${JSON.stringify(opts[0])}: the docker driver takes no driver options`,
      {
        hint: "use --driver docker-container for a builder with driver options",
      },
    );
  }
  for (const opt of opts) validateDriverOpt(opt);
  for (const [key, value] of Object.entries(options.timeouts ?? {})) {
    if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
      throw new QusError("QUS_USAGE", `timeout ${key} must be a positive number of milliseconds, not ${value}`);
    }
  }
}

/** The builder's name: the context's own for the docker driver, `--name` (or `qus`) for docker-container. */
export function builderName(driver: string, context: string, options: BootstrapOptions): string {
  if (driver === "docker") {
    // The docker driver has exactly one builder per context, named after it.
    if (options.builder && options.builder.toLowerCase() !== context.toLowerCase()) {
      throw new QusError(
        "QUS_USAGE",
        `the docker driver's builder is the context's own (${context}), not ${options.builder}`,
        { hint: "leave out --name, or use --driver docker-container for a named builder" },
      );
    }
    return context;
  }
  return options.builder ?? "qus";
}
