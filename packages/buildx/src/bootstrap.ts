import { QusError } from "@qus/core";
import { engineCommand, execProcess } from "@qus/core/runner";
import type { BootstrapOptions } from "./bootstrap-options.js";
import type { BootstrapReport } from "./bootstrap-report.js";
import type { BootstrapRun } from "./bootstrap-run.js";
import { type BuilderChoice, chooseBuilder } from "./builder-choice.js";
import { bootstrapBuilder, findBuilder } from "./builder-lifecycle.js";
import { type BuildxTimeouts, buildxCliOn, DEFAULT_TIMEOUTS } from "./buildx-command.js";
import { checkEngine } from "./engine.js";
import { type EnsuredBinfmt, ensureBinfmtEverywhere } from "./ensure-binfmt.js";
import { checkInput } from "./input-checks.js";
import { proveOnBuilder } from "./prove-on-builder.js";
import { requestedPlatforms } from "./requested-platforms.js";

/**
 * Makes a buildx builder that builds every requested platform, and proves it: check the input and that the engine
 * answers → pick the builder ({@link chooseBuilder}: one that can build every requested platform in one build) →
 * ensure binfmt on the builder's kernel → create or reuse the builder → bootstrap it → check the listed platforms →
 * build a FROM scratch image that RUNs qus's probe, for all the platforms in one multi-platform build as the user's
 * build will run (a build per platform only to tell which failed) → refresh a builder that booted before binfmt was
 * fixed.
 *
 * Every docker command is bounded by a timeout ({@link DEFAULT_TIMEOUTS}). A builder this run created is removed
 * again when the run ends in an error; a builder that existed before is never removed.
 */
export async function bootstrap(options: BootstrapOptions): Promise<BootstrapReport> {
  const exec = options.exec ?? execProcess;
  const timeouts: BuildxTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  // Input first: a usage error must come before any process runs and before binfmt is changed.
  const requested = requestedPlatforms(options.platforms);
  checkInput(options.driver ?? "docker", options);
  // One engine seam for the run: the binfmt helper's runner (core's) reads the engine check's answer to `docker info`.
  const cli = buildxCliOn(engineCommand({ context: options.context || undefined, exec }));

  const engine = await checkEngine(cli, options.context, timeouts.info);
  const choice = chooseBuilder(
    options,
    engine,
    requested.map((item) => item.platform),
  );
  const { name, driver } = choice;
  const existing = driver === "docker-container" ? await findBuilder(cli, name, timeouts) : undefined;
  if (existing && existing.driver !== driver) throw otherDriver(choice, existing.driver);
  const run: BootstrapRun = { options, cli, name, driver, use: choice.use, reason: choice.reason, timeouts, requested };

  // The docker driver's builder is the engine's own BuildKit: bootstrapping it needs nothing from binfmt, so it
  // runs alongside the ensure (read again below when binfmt changed, as its platform list may predate that).
  const early = driver === "docker" && !options.dryRun ? bootstrapBuilder(cli, name, timeouts) : undefined;
  early?.catch(() => {});
  let ensured: EnsuredBinfmt;
  try {
    ensured = await ensureBinfmtEverywhere(run, engine, exec, existing);
  } catch (error) {
    await early?.catch(() => {});
    throw error;
  }
  if (options.dryRun) return dryRunReport(run, ensured, existing !== undefined);
  return proveOnBuilder(run, ensured, existing !== undefined, early);
}

/** A builder of the chosen name that exists with another driver: left alone, and the way around it. */
function otherDriver(choice: BuilderChoice, driver: string): QusError {
  return new QusError(
    "QUS_USAGE",
    `builder ${choice.name} exists with the ${driver || "unknown"} driver, not ${choice.driver}`,
    {
      hint: choice.reason
        ? `name a docker-container builder of your own: --name NAME --driver docker-container`
        : "choose another --name, or leave out --driver to use the docker driver",
    },
  );
}

/** What a dry run reports: binfmt as planned, each platform neither listed nor proven, nothing created. */
function dryRunReport(run: BootstrapRun, ensured: EnsuredBinfmt, exists: boolean): BootstrapReport {
  const { name, driver, requested, reason } = run;
  const platforms = requested.map(({ platform, target }) => ({
    platform,
    listed: false,
    native: ensured.native.has(target.cpu),
    proven: false,
  }));
  const warnings = [...ensured.warnings];
  if (driver === "docker-container" && !exists) warnings.push(`would create builder ${name}`);
  return {
    schemaVersion: 1,
    builder: name,
    driver,
    ...(reason ? { reason } : {}),
    created: false,
    refreshed: false,
    used: false,
    nodes: [],
    binfmt: ensured.binfmt,
    nodeBinfmt: ensured.nodeBinfmt,
    platforms,
    warnings,
    dryRun: true,
    ok: ensured.binfmt.ok && ensured.nodesOk,
  };
}
