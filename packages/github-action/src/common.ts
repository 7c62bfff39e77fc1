import { fileURLToPath } from "node:url";

/** The name the main step saves its state under; the runner hands it to the post step as `STATE_qus-state`. */
export const STATE_NAME = "qus-state";

/**
 * The bundled qus CLI that the local driver runs through `sudo -n` when the job is not root: `dist/qus.js`, beside
 * `dist/main.js` (this path is right both from the bundle and from `src/` under a TypeScript runner).
 */
export const CLI_PATH = fileURLToPath(new URL("../dist/qus.js", import.meta.url));

/** A thrown error in words for an annotation: a QusError's message and its hint; anything else with its stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const hint = (error as { hint?: unknown }).hint;
    if (typeof hint === "string") return `${error.message}\nhint: ${hint}`;
    if ("code" in error && typeof error.code === "string" && error.code.startsWith("QUS_")) return error.message;
    return error.stack ?? error.message;
  }
  return String(error);
}
