import type { ContainerRunner, EngineInfo } from "../../runner/types.js";
import type { Driver } from "../types.js";
import { applyWithHelper, inspectWithHelper, removeWithHelper } from "./helper-operations.js";
import { createHelperSession, type HelperDriverOptions } from "./helper-session.js";

/**
 * The container driver's mode for images with busybox and QEMU (qus's own): each pass is one short-lived helper
 * container that mounts binfmt_misc in its own namespace, changes the table and runs the probes chrooted inside
 * the container, where builds run. One container run for a no-op, two for a change.
 */
export function createHelperDriver(
  runner: ContainerRunner,
  image: string,
  engine: EngineInfo,
  labels: Readonly<Record<string, string>>,
  options: HelperDriverOptions = {},
): Driver {
  const session = createHelperSession(runner, image, engine, labels, options);
  return {
    name: runner.name,
    inspect: (request) => inspectWithHelper(session, request),
    apply: (steps, verify) => applyWithHelper(session, steps, verify),
    remove: (names) => removeWithHelper(session, names),
  };
}
