import { fileURLToPath } from "node:url";

/** The name the main step saves its state under; the runner hands it to the post step as `STATE_qus-state`. */
export const STATE_NAME = "qus-state";

/**
 * The bundled qus CLI that the local driver runs through `sudo -n` when the job is not root: `dist/qus.js`, beside
 * `dist/main.js` (this path is right both from the bundle and from `src/` under a TypeScript runner).
 */
export const CLI_PATH = fileURLToPath(new URL("../dist/qus.js", import.meta.url));
