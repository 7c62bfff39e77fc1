import type { Client, Container } from "@dagger.io/dagger";
import { createContainerDriver, ensure, QusError, type Report, resolvePlatforms, status } from "@qus/core";
import { engineCall } from "./engine.js";
import type { ProgramFiles } from "./program-file.js";
import { formatOf, RESTART_COMMAND, renderCoreReport, renderEngineReport } from "./render.js";
import { createDaggerRunner } from "./runner.js";
import { type EngineReport, verifyOnEngine } from "./verify.js";

/** What every operation takes: the engine's client, and the seams tests replace. */
export interface ModuleContext {
  readonly client: Client;
  readonly programFiles?: ProgramFiles;
  /** How hints name the module's functions: `this module's` by default (`this module's ensure --platforms ...`). */
  readonly call?: string;
}

/** Options of {@link verifyText}. */
export interface VerifyRequest {
  readonly platforms: readonly string[];
  readonly format: string;
  readonly requireHost: boolean;
}

/** The verify report, or an error that carries it when a platform does not run. */
export async function verifyText(context: ModuleContext, request: VerifyRequest): Promise<string> {
  const format = formatOf(request.format);
  const report = await verifyOnEngine(context.client, {
    platforms: request.platforms,
    requireHost: request.requireHost,
    programFiles: context.programFiles,
    call: context.call,
  });
  const text = renderEngineReport(report, format);
  if (!report.ok) throw failed(text);
  return text;
}

/** Options of {@link ensureText}. */
export interface EnsureRequest {
  readonly platforms: readonly string[];
  readonly image?: string;
  readonly replace: boolean;
  readonly format: string;
}

/**
 * core's ensure on the engine's host kernel through one privileged helper container (the Dagger runner), then
 * the engine's own verify. Throws with both reports when the kernel or the engine does not run a platform.
 */
export async function ensureText(context: ModuleContext, request: EnsureRequest): Promise<string> {
  const format = formatOf(request.format);
  resolvePlatforms(request.platforms); // bad input fails before any container runs
  const kernel = await ensure({
    platforms: request.platforms,
    replace: request.replace,
    driver: driverOf(context, request.image),
  });
  const engine = await verifyOnEngine(context.client, {
    platforms: request.platforms,
    programFiles: context.programFiles,
    call: context.call,
  });
  const text = combined(kernel, engine, format);
  if (!kernel.ok || !engine.ok) throw failed(text);
  return text;
}

/** Options of {@link statusText}. */
export interface StatusRequest {
  readonly platforms: readonly string[];
  readonly image?: string;
  readonly format: string;
}

/** core's status of the engine's host kernel: its binfmt_misc entries, read by a privileged helper container. */
export async function statusText(context: ModuleContext, request: StatusRequest): Promise<string> {
  const format = formatOf(request.format);
  const report = await status({ platforms: request.platforms, driver: driverOf(context, request.image) });
  return renderCoreReport(report, format);
}

/** Options of {@link withEmulationOf}. */
export interface WithEmulationRequest {
  readonly ensure: boolean;
  readonly image?: string;
}

/**
 * The container, once its platform is proven to run on the engine (registered first when `ensure` is set).
 * Throws with the report when it does not run.
 */
export async function withEmulationOf(
  context: ModuleContext,
  container: Container,
  request: WithEmulationRequest,
): Promise<Container> {
  const platform = String(await engineCall("the container's platform", () => container.platform()));
  if (request.ensure) {
    await ensureText(context, { platforms: [platform], image: request.image, replace: false, format: "table" });
  } else {
    await verifyText(context, { platforms: [platform], format: "table", requireHost: false });
  }
  return container;
}

function driverOf(context: ModuleContext, image: string | undefined) {
  // insecureRootCapabilities is all a Dagger exec can add: start there instead of failing with nothing first.
  return createContainerDriver({
    runner: createDaggerRunner(context.client, { programFiles: context.programFiles }),
    privileged: true,
    ...(image ? { image } : {}),
  });
}

function combined(kernel: Report, engine: EngineReport, format: ReturnType<typeof formatOf>): string {
  if (format === "json") return `${JSON.stringify({ kernel, engine }, null, 2)}\n`;
  const heading = format === "markdown" ? (title: string) => `### ${title}\n\n` : (title: string) => `${title}:\n`;
  const restart = engine.restartAdvised && kernel.ok ? `\n${restartNeeded(engine)}\n` : "";
  return `${heading("The engine's host kernel")}${renderCoreReport(kernel, format)}\n${heading("The Dagger engine")}${renderEngineReport(engine, format)}${restart}`;
}

/** The plain sentence `ensure` ends with when the kernel is ready but the engine still uses its own QEMU. */
function restartNeeded(engine: EngineReport): string {
  const platforms = engine.platforms.filter((platform) => platform.through === "engine-qemu");
  const names = platforms.map((platform) => platform.platform).join(", ");
  return `Restart needed: the host now runs ${names}, but this engine keeps using its own QEMU for them until it restarts. Restart it (the engine the dagger CLI started: ${RESTART_COMMAND}), then run verify again.`;
}

function failed(text: string): QusError {
  return new QusError("QUS_VERIFY_FAILED", text.trimEnd());
}
