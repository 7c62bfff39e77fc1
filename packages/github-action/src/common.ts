import { fileURLToPath } from "node:url";
import { isQusError } from "@qus/ci";

/** The name the main step saves its state under; the runner hands it to the post step as `STATE_qus-state`. */
export const STATE_NAME = "qus-state";

/**
 * The bundled qus CLI that the local driver runs through `sudo -n` when the job is not root: `dist/qus.js`, beside
 * `dist/main.js` (this path is right both from the bundle and from `src/` under a TypeScript runner).
 */
export const CLI_PATH = fileURLToPath(new URL("../dist/qus.js", import.meta.url));

/**
 * A thrown error in words for an annotation: a QusError's code, message and hint, never its stack; anything else
 * (a bug) with its stack.
 */
export function describeError(error: unknown): string {
  if (isQusError(error)) return `${error.code}: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ""}`;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("QUS_")) return `${code}: ${error.message}`;
    return error.stack ?? error.message;
  }
  return String(error);
}
