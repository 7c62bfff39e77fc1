import { type Driver, ensure, isQusError, type Report } from "@qus/core";
import type { Exec } from "@qus/core/runner";
import type { StepInputs } from "./inputs.js";
import { chooseKernel } from "./kernel-choice.js";
import { kernelDriver } from "./kernel-driver.js";
import { ensureLocal } from "./local-ensure.js";

/** The kernel the step set up, its report, and the driver that reaches it (the builder's ensure uses it too). */
export interface KernelSetUp {
  readonly kernel: "local" | "docker";
  readonly report: Report;
  readonly driver: Driver;
}

/**
 * Errors that say this machine's kernel cannot be set up from here (a container job, a read-only or absent
 * binfmt_misc, no root after all): with `kernel: auto` and an engine answering, the engine's kernel is set up instead.
 */
const LOCAL_UNREACHABLE = new Set(["QUS_NOT_ROOT", "QUS_NO_BINFMT_MISC", "QUS_BINFMT_READONLY", "QUS_PRIVATE_BINFMT"]);

/** Sets up the kernel the inputs name (`kernel: auto` chosen by {@link chooseKernel}) and ensures the platforms. */
export async function setUpKernel(
  inputs: StepInputs,
  options: { readonly exec: Exec; readonly isRoot: boolean; readonly cliPath: string },
): Promise<KernelSetUp> {
  const choice =
    inputs.kernel === "auto"
      ? await chooseKernel({ exec: options.exec, isRoot: options.isRoot })
      : { kernel: inputs.kernel, engine: false };
  if (choice.kernel === "docker") return ensureOnEngine(inputs, options.exec);
  try {
    const report = await ensureLocal(inputs, options);
    return { kernel: "local", report, driver: kernelDriver("local", options.exec, undefined) };
  } catch (error) {
    if (choice.engine && isQusError(error) && LOCAL_UNREACHABLE.has(error.code)) {
      return ensureOnEngine(inputs, options.exec);
    }
    throw error;
  }
}

/** The kernel behind the Docker engine, through helper containers of the installer image (core's by default). */
async function ensureOnEngine(inputs: StepInputs, exec: Exec): Promise<KernelSetUp> {
  const driver = kernelDriver("docker", exec, inputs.image);
  const report = await ensure({
    platforms: inputs.platforms,
    driver,
    replace: inputs.replace,
    ...(inputs.flags ? { flags: inputs.flags } : {}),
  });
  return { kernel: "docker", report, driver };
}
