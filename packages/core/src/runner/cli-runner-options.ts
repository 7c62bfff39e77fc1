import { QusError } from "../errors.js";
import type { Exec } from "../exec.js";
import type { EngineCommand } from "./engine-command.js";
import type { RunSpec } from "./types.js";

/** Options every CLI runner takes. */
export interface CliRunnerOptions {
  readonly exec?: Exec;
  /**
   * The engine seam to run every call through, pointed at the same engine as the runner (its answer to `info` is
   * then shared with whoever else holds it); made from the other options by default.
   */
  readonly command?: EngineCommand;
  /**
   * How long a call the engine answers at once may take (`info`, `image inspect`, `create`, `cp`, `rm`) before the
   * engine counts as not answering. Default: {@link ENGINE_TIMEOUT_ENV} (seconds) from the environment, else
   * {@link DEFAULT_ENGINE_TIMEOUT_MS}.
   */
  readonly engineTimeoutMs?: number;
  /** How long a container may run when its {@link RunSpec} sets no `timeoutMs`. */
  readonly runTimeoutMs?: number;
  /** How long a pull may take. */
  readonly pullTimeoutMs?: number;
  /** How long an image build may take when its spec sets no `timeoutMs`. */
  readonly buildTimeoutMs?: number;
  /**
   * Registers the removal of a running container, should qus be interrupted (SIGINT, SIGTERM); returns its
   * unregistration. Default: the process-wide clean-ups the CLI runs on a signal.
   */
  readonly onInterrupt?: (cleanup: () => void) => () => void;
}

/** Default bound of a call the engine answers at once: an engine that takes longer is not answering. */
export const DEFAULT_ENGINE_TIMEOUT_MS = 15_000;
/** Default bound of one helper container's run (its probes are bounded inside it, well below this). */
export const DEFAULT_RUN_TIMEOUT_MS = 120_000;
/** Default bound of a pull. */
export const DEFAULT_PULL_TIMEOUT_MS = 300_000;
/** Default bound of an image build. */
export const DEFAULT_BUILD_TIMEOUT_MS = 600_000;
/** Environment variable that sets the engine timeout, in seconds (`QUS_ENGINE_TIMEOUT=60` for a slow remote). */
export const ENGINE_TIMEOUT_ENV = "QUS_ENGINE_TIMEOUT";

/**
 * The engine timeout set in the environment ({@link ENGINE_TIMEOUT_ENV}, seconds), in milliseconds; undefined when
 * unset. Throws QUS_USAGE for a value that is not a number of seconds.
 */
export function engineTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[ENGINE_TIMEOUT_ENV];
  if (text === undefined || text.trim() === "") return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new QusError(
      "QUS_USAGE",
      `${ENGINE_TIMEOUT_ENV} must be a number of seconds from 0 to 3600, not ${JSON.stringify(text)}`,
      {
        hint: `unset it for the default of ${DEFAULT_ENGINE_TIMEOUT_MS / 1000} s, or set for example ${ENGINE_TIMEOUT_ENV}=60`,
      },
    );
  }
  return seconds * 1000;
}
