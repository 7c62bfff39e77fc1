import { createContainerDriver, isQusError, QusError, resolvePlatforms, verify } from "@qus/core";
import type { ContainerRuntimeClient, GenericContainer, StartedTestContainer } from "testcontainers";
import { nativeOnEngine } from "./engine-report.js";
import { type EnsureEmulationOptions, engineState, ensureEmulation, forgetEmulation } from "./ensure-emulation.js";
import { EmulationError, engineBinfmtState } from "./errors.js";
import { runtimeClient } from "./runtime-client.js";

/** Options of {@link withEmulation}: those of {@link ensureEmulation}, the platform being the container's own. */
export type WithEmulationOptions = Omit<EnsureEmulationOptions, "platforms">;

/**
 * What qus reads of a GenericContainer: fields TypeScript marks protected, plain properties at run time
 * (testcontainers 10 to 12), and the hook it calls after the pull and before the create.
 */
interface ContainerInternals {
  createOpts?: { platform?: string };
  imageName?: { string?: string };
  beforeContainerCreated?: () => Promise<void>;
}

/**
 * Makes a container's platform run before the container is created: after Testcontainers pulled its image, qus
 * ensures and proves emulation for the platform asked with `withPlatform`, or else the image's own, on the engine.
 * Should the container fail to start anyway, the error says why in binfmt's terms. Returns the same container.
 *
 * @example
 * const started = await withEmulation(new GenericContainer("alpine").withPlatform("linux/arm64")).start();
 */
export function withEmulation<T extends GenericContainer>(container: T, options: WithEmulationOptions = {}): T {
  const internals = container as unknown as ContainerInternals;
  const before = internals.beforeContainerCreated?.bind(container);
  internals.beforeContainerCreated = async () => {
    await before?.();
    const client = await runtimeClient(options.client);
    const platform = await platformOf(internals, client);
    if (platform) await ensureEmulation({ ...options, client, platforms: platform });
  };
  const start = container.start.bind(container);
  container.start = async () => {
    let started: StartedTestContainer;
    try {
      started = await start();
    } catch (error) {
      throw await explainStartFailure(error, container, options);
    }
    // A program the kernel cannot run ends its container at once, and Testcontainers reports it only later
    // ("is not running"): look now, while the reason can still be told.
    const death = await deathOf(started, options.client);
    if (death) {
      const explained = await explainStartFailure(new Error(death), container, options);
      if (explained instanceof EmulationError) {
        await started.stop().catch(() => undefined);
        throw explained;
      }
    }
    return started;
  };
  return container;
}

/** Why a started container is no longer running (its status and last log line), or undefined while it runs. */
async function deathOf(started: StartedTestContainer, given: ContainerRuntimeClient | undefined) {
  try {
    const client = await runtimeClient(given);
    const handle = client.container.dockerode.getContainer(started.getId());
    const { State } = await handle.inspect();
    if (State.Running || State.ExitCode === 0) return undefined;
    const logs = await handle.logs({ stdout: true, stderr: true, tail: 5 });
    const last = framesText(logs).trim().split("\n").pop()?.trim();
    return `it exited with status ${State.ExitCode}${State.Error ? ` (${State.Error})` : ""}${last ? `: ${last}` : ""}`;
  } catch {
    return undefined;
  }
}

/**
 * The error to show for a container that did not start: when its platform is not the engine's own and does not
 * run there, an error (QUS_PLATFORM_NOT_RUNNABLE) that names the image's platform, the engine's architecture, what
 * binfmt_misc has for it and the fix, with the original error as its cause; otherwise the original error itself.
 * For containers started without {@link withEmulation}: `catch (error) { throw await explainStartFailure(error, container) }`.
 */
export async function explainStartFailure(
  error: unknown,
  container: GenericContainer,
  options: Pick<EnsureEmulationOptions, "client" | "image"> = {},
): Promise<unknown> {
  if (isQusError(error)) return error; // qus's own failure already says why
  try {
    const internals = container as unknown as ContainerInternals;
    const client = await runtimeClient(options.client);
    const platform = await platformOf(internals, client);
    if (!platform) return error;
    const { runner, engine } = await engineState(client);
    const [target] = resolvePlatforms(platform);
    if (!target || nativeOnEngine(target, engine) !== undefined) return error;
    const report = await verify({
      platforms: target.cpu,
      driver: createContainerDriver({ runner, ...(options.image !== undefined ? { image: options.image } : {}) }),
    }).catch((lookError: unknown) => (lookError instanceof Error ? lookError : new Error(String(lookError))));
    const state = engineBinfmtState(report, target.cpu);
    if (state === undefined) return error; // it runs there: the failure is the container's own
    await forgetEmulation({ client, platforms: target.cpu }); // what this process verified earlier no longer holds
    const image = internals.imageName?.string ?? "the image";
    const original = error instanceof Error ? error.message : String(error);
    return new EmulationError(
      new QusError(
        "QUS_PLATFORM_NOT_RUNNABLE",
        `the container of ${image} (${platform}) did not start on the engine at ${engine.endpoint}, whose architecture is ${engine.architecture}: ${original}\nbinfmt_misc on that engine: ${state}`,
        {
          hint: `have qus set up ${platform} first: withEmulation(container), or ensureEmulation({ platforms: ["${platform}"] }), or QUS_PLATFORMS=${platform} with @qus/testcontainers/vitest (or /jest) as globalSetup`,
          cause: error,
        },
      ),
    );
  } catch {
    return error; // looking did not work out: the original error is still the truth
  }
}

/** The container's platform: the one asked with `withPlatform`, else its image's, else undefined. */
async function platformOf(internals: ContainerInternals, client: ContainerRuntimeClient): Promise<string | undefined> {
  const asked = internals.createOpts?.platform;
  if (asked) return asked;
  const image = internals.imageName?.string;
  if (!image) return undefined;
  try {
    const inspected = await client.container.dockerode.getImage(image).inspect();
    const { Os, Architecture, Variant } = inspected as { Os?: string; Architecture?: string; Variant?: string };
    return Os && Architecture ? [Os, Architecture, Variant].filter(Boolean).join("/") : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The text of a non-TTY container's logs: frames of an 8-byte header (stream, 3 zero bytes, big-endian size) and
 * that many bytes, stdout and stderr interleaved as written.
 */
function framesText(logs: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= logs.length; ) {
    const size = logs.readUInt32BE(at + 4);
    parts.push(logs.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}
