import type { Driver } from "../types.js";
import { applyLocal, removeLocal } from "./change-local.js";
import { inspectLocal } from "./inspect-local.js";
import { createLocalContext, type LocalDriverOptions } from "./local-context.js";

export type { LocalDriverOptions } from "./local-context.js";

/** The driver for this machine's own kernel, through /proc/sys/fs/binfmt_misc. Changes need root. */
export function createLocalDriver(options: LocalDriverOptions = {}): Driver {
  const context = createLocalContext(options);
  return {
    name: "local",
    inspect: (request) => inspectLocal(context, request),
    apply: (steps, verify) => applyLocal(context, steps, verify),
    remove: (names) => removeLocal(context, names),
  };
}
