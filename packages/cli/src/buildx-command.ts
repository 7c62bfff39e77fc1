import type { BootstrapReport } from "@qus/buildx";
import { exitCodeOf, QusError, type QusErrorCode } from "@qus/core";
import type { Command, OptionSpec } from "./command.js";
import { driverOptions, dryRun, json, junit, platforms } from "./common-options.js";
import { EXIT, exitCodeForReport, gravest } from "./exit-codes.js";
import { flag, text } from "./values.js";

/**
 * `qus buildx`'s exit code: 0 when proven; else the gravest of the kernels' (the builder's and its other nodes'
 * engines), 1 when only proofs failed.
 */
function buildxExitCode(report: BootstrapReport): number {
  if (report.ok) return EXIT.ok;
  return gravest([
    EXIT.notOk,
    exitCodeForReport(report.binfmt),
    ...report.nodeBinfmt.map((node) =>
      node.report ? exitCodeForReport(node.report) : exitCodeOf(node.error?.code as QusErrorCode),
    ),
  ]);
}

/** `qus buildx`: binfmt on the engine's kernel, a buildx builder, and a proof build of each platform. */
export const BUILDX_COMMAND: Command = {
  name: "buildx",
  summary:
    "ensure binfmt on the engine's kernel, bootstrap a buildx builder, and prove the platforms with a real build (several: one multi-platform build, as yours will run)",
  usage:
    "qus buildx --platforms LIST [--name N] [--driver docker|docker-container] [--driver-opt K=V] [--use] [--replace] [--proof-timeout S] [--junit FILE] [--json]",
  options: {
    // Repeatable: --platforms a --platforms b proves both.
    platforms,
    name: {
      type: "string",
      value: "N",
      help: "builder name (docker-container, default qus; buildx's rule: a letter, then letters, digits, . - _)",
    },
    driver: {
      type: "string",
      value: "NAME",
      help: "buildx driver: docker (the engine's BuildKit) or docker-container; unset: the docker driver, or, for several platforms on an engine whose docker driver cannot build them at once (classic image store), docker-container builder qus, made current",
    },
    "driver-opt": {
      type: "string",
      value: "K=V",
      multiple: true,
      help: "buildx driver option (repeatable), for a docker-container builder qus creates",
    },
    use: { type: "boolean", help: "make it the current builder once every platform is proven" },
    replace: {
      type: "boolean",
      help: "replace conflicting binfmt entries, and restart an existing builder (never removed)",
    },
    "proof-timeout": {
      type: "string",
      value: "S",
      help: "seconds one proof build may take before it is killed and its platform reported not proven (default 180)",
    },
    image: driverOptions.image as OptionSpec,
    privileged: driverOptions.privileged as OptionSpec,
    context: driverOptions.context as OptionSpec,
    "dry-run": dryRun,
    json,
    junit: { ...junit, help: `${junit.help}; a platform the builder did not build fails there too` },
  },
  needsPlatforms: true,
  run: async (v) => {
    // Loaded only here: buildx handling pulls in libraries no other command needs.
    const { bootstrap, provenReport, renderBootstrap } = await import("@qus/buildx");
    // Unset is not "docker": bootstrap then picks a builder that can build every platform asked in one build.
    const driver = text(v, "driver");
    if (driver !== undefined && driver !== "docker" && driver !== "docker-container") {
      throw new QusError("QUS_USAGE", `unknown buildx driver ${JSON.stringify(driver)}`, {
        hint: "use --driver docker or --driver docker-container",
      });
    }
    const proofTimeout = text(v, "proof-timeout");
    if (proofTimeout !== undefined && !/^[1-9][0-9]{0,5}$/.test(proofTimeout)) {
      throw new QusError("QUS_USAGE", `--proof-timeout ${JSON.stringify(proofTimeout)}: expected whole seconds`, {
        hint: "for example --proof-timeout 300",
      });
    }
    const list = (name: string): string[] => {
      const value = v[name];
      return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
    };
    const report = await bootstrap({
      platforms: list("platforms"),
      builder: text(v, "name"),
      driver,
      driverOpts: list("driver-opt"),
      use: flag(v, "use"),
      replace: flag(v, "replace"),
      dryRun: flag(v, "dry-run"),
      context: text(v, "context"),
      image: text(v, "image"),
      privileged: flag(v, "privileged") ? true : undefined,
      timeouts: proofTimeout === undefined ? undefined : { build: Number(proofTimeout) * 1000 },
    });
    const exitCode = buildxExitCode(report);
    return { text: renderBootstrap(report), json: report, exitCode, junit: provenReport(report) };
  },
};
