import {
  createContainerDriver,
  ensure,
  isQusError,
  type PlatformReport,
  QusError,
  type Report,
  resolvePlatforms,
  type Target,
} from "@qus/core";
import type { ContainerRunner, EngineInfo } from "@qus/core/runner";
import { buildImage, processWide } from "@qus/core/toolkit";
import type { ContainerRuntimeClient } from "testcontainers";
import { describeEndpoint } from "./endpoint.js";
import { engineReport, nativeOnEngine } from "./engine-report.js";
import { createEngineRunner } from "./engine-runner.js";
import { failedPlatformsError } from "./errors.js";
import { runtimeClient } from "./runtime-client.js";

/** Options of {@link ensureEmulation}. */
export interface EnsureEmulationOptions {
  /**
   * Platforms the tests run containers of: `linux/arm64`, `arm64`, `riscv64`, a comma-separated list, or an array.
   * Default: the `QUS_PLATFORMS` environment variable.
   */
  readonly platforms?: string | readonly string[];
  /** The engine's client; Testcontainers' own (`getContainerRuntimeClient()`) by default. */
  readonly client?: ContainerRuntimeClient;
  /**
   * The installer image on the engine: `QUS_IMAGE` from the environment, else qus's default (`QUS_IMAGE` of
   * @qus/core, `ghcr.io/qus/qus-binfmt:<version>`), pulled when the engine lacks it. A tonistiigi/binfmt image is
   * used only when named here.
   */
  readonly image?: string;
  /**
   * When the engine has no installer image and it cannot be pulled (no registry), build qus's own there, tagged
   * as the default, from Debian's packages fetched by this machine's apt. Default: true.
   */
  readonly buildInstaller?: boolean;
  /** true: the helper container runs privileged from the start; false: never; unset: only when least privilege is refused. */
  readonly privileged?: boolean;
}

/** A platform asked for, as core resolved it. */
type Asked = Target;

/** What one engine has verified in this process: its runner, its facts and each verified platform's report. */
export interface EngineState {
  readonly runner: ContainerRunner;
  readonly engine: EngineInfo;
  /** Platforms verified on this engine in this process, by QEMU cpu. */
  readonly verified: Map<string, PlatformReport>;
  /** How the last helper reached the engine (image, QEMU version, privilege). */
  details: Readonly<Record<string, string>>;
}

// Per engine (its endpoint) for the process: a second ensure of a verified platform costs nothing. Process-wide,
// so that copies of this module (a test runner may load it more than once) share it.
const engines = processWide("testcontainers.engines", () => new Map<string, Promise<EngineState>>());

/**
 * Makes sure containers of the given platforms run on the engine the tests use: reaches it through Testcontainers'
 * client (DOCKER_HOST, `~/.testcontainers.properties`, remote engines alike), registers QEMU in that engine's
 * kernel where needed through a short-lived helper container, and proves each platform by running a program of it
 * there. Platforms of the engine's own architecture need nothing. Verified platforms are remembered per engine for
 * the process. Resolves to qus's report; rejects with a QusError naming each platform that cannot run, and why.
 */
export async function ensureEmulation(options: EnsureEmulationOptions = {}): Promise<Report> {
  const asked = platformsAsked(options.platforms);
  const client = await runtimeClient(options.client);
  const state = await engineState(client);
  const foreign = asked.filter((target) => nativeOnEngine(target, state.engine) === undefined);
  const missing = foreign.filter((target) => !state.verified.has(target.cpu));
  let report: Report | undefined;
  if (missing.length > 0) {
    report = await ensureOnEngine(state, missing, options);
    for (const platform of report.platforms) if (platform.ok) state.verified.set(platform.cpu, platform);
    state.details = report.driverDetails ?? state.details;
    if (!report.ok) throw failedPlatformsError(report, state.engine);
  }
  return engineReport(asked, { ...state, driver: state.runner.name }, report);
}

/**
 * Forgets what this process verified, so the next {@link ensureEmulation} looks at the engine again: for suites
 * that change binfmt_misc themselves. With a client, only that engine; with platforms, only those.
 */
export async function forgetEmulation(
  options: { readonly client?: ContainerRuntimeClient; readonly platforms?: string | readonly string[] } = {},
): Promise<void> {
  const states = options.client ? [engines.get(describeEndpoint(options.client))] : [...engines.values()];
  const cpus = options.platforms === undefined ? undefined : resolvePlatforms(options.platforms).map((t) => t.cpu);
  for (const state of await Promise.all(states.map((pending) => pending?.catch(() => undefined)))) {
    if (!state) continue;
    if (cpus === undefined) state.verified.clear();
    else for (const cpu of cpus) state.verified.delete(cpu);
  }
}

function platformsAsked(platforms: EnsureEmulationOptions["platforms"]): Asked[] {
  const given = platforms ?? process.env.QUS_PLATFORMS;
  if (given === undefined || (typeof given === "string" ? given.trim() === "" : given.length === 0)) {
    throw new QusError("QUS_USAGE", "no platforms to ensure: pass platforms, or set QUS_PLATFORMS", {
      hint: 'ensureEmulation({ platforms: ["linux/arm64", "linux/riscv64"] }), or QUS_PLATFORMS=linux/arm64,linux/riscv64',
    });
  }
  try {
    return resolvePlatforms(given);
  } catch (error) {
    // Name where the platforms came from when it was not the code at hand.
    if (platforms !== undefined || !isQusError(error)) throw error;
    throw new QusError(error.code, `QUS_PLATFORMS=${given}: ${error.message}`, { hint: error.hint, cause: error });
  }
}

/**
 * The engine a client reaches, as this process knows it: its runner, its facts (asked once) and what was verified
 * there. Shared by {@link ensureEmulation} and the explanation of a container that did not start.
 */
export async function engineState(client: ContainerRuntimeClient): Promise<EngineState> {
  const endpoint = describeEndpoint(client);
  let state = engines.get(endpoint);
  if (!state) {
    const runner = createEngineRunner(client.container.dockerode, { endpoint });
    state = runner
      .info()
      .then((engine) => ({ runner, engine, verified: new Map<string, PlatformReport>(), details: {} }));
    engines.set(endpoint, state);
    state.catch(() => engines.delete(endpoint)); // an engine that did not answer is asked again next time
  }
  return state;
}

async function ensureOnEngine(state: EngineState, targets: readonly Asked[], options: EnsureEmulationOptions) {
  const platforms = targets.map((target) => target.cpu);
  const run = () =>
    ensure({
      platforms,
      driver: createContainerDriver({
        runner: state.runner,
        ...(options.image !== undefined ? { image: options.image } : {}),
        ...(options.privileged !== undefined ? { privileged: options.privileged } : {}),
      }),
    });
  try {
    return await run();
  } catch (error) {
    const mayBuild = options.buildInstaller !== false && options.image === undefined;
    if (!mayBuild || !isQusError(error) || error.code !== "QUS_IMAGE_MISSING") throw error;
    // No installer and no registry: build qus's own on that engine (tagged as the default reference), then once more.
    await buildImage({ runner: state.runner });
    return run();
  }
}
