import type { ContainerRunner, EngineInfo } from "../../runner/types.js";
import type { Driver } from "../types.js";
import { applyWithTonistiigi, inspectWithTonistiigi, removeWithTonistiigi } from "./tonistiigi-operations.js";
import { createTonistiigiSession, type TonistiigiDriverOptions } from "./tonistiigi-session.js";

/**
 * The container driver's mode for tonistiigi/binfmt, the installer online users already have: install and
 * uninstall through its own CLI, read its status JSON, and always verify with qus's probes, each run as the only
 * process of a container of that image (it has no shell). Its exit code says nothing: the lines do.
 */
export function createTonistiigiDriver(
  runner: ContainerRunner,
  image: string,
  engine: EngineInfo,
  options: TonistiigiDriverOptions,
): Driver {
  const session = createTonistiigiSession(runner, image, engine, options);
  return {
    name: runner.name,
    inspect: (request) => inspectWithTonistiigi(session, request),
    apply: (steps, verify) => applyWithTonistiigi(session, steps, verify),
    remove: (names) => removeWithTonistiigi(session, names),
  };
}
