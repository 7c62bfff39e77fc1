import type { NotStartedReason } from "./types.js";

// The words of the Docker engine, Podman and their OCI runtimes (runc, crun) for a container whose program never
// ran: read here once, for the runners that hear them (the docker and podman CLIs, the Engine API), and nowhere else.

const EXEC_FORMAT = /exec format error/i;
const NO_SUCH_IMAGE = /no such image|unable to find image|image not known/i;
const REFUSED = /unable to apply caps|operation not permitted|authorization denied/i;
const NOT_FOUND = /executable file not found|no such file or directory/i;
/** The runtime's own line for a program it could not exec: runc's `exec /x: …`, older runc's, crun's. */
const RUNTIME_EXEC_LINE =
  /^(?:exec \S+|.*exec user process caused:?|.*exec container process `[^`]*`): "?(exec format error|no such file or directory)"?/i;

/** Why the engine did not start a container, from its words (`other` when they name no reason qus knows). */
export function notStartedReason(words: string): NotStartedReason {
  if (EXEC_FORMAT.test(words)) return "exec-format";
  if (NO_SUCH_IMAGE.test(words)) return "no-such-image";
  if (REFUSED.test(words)) return "refused";
  if (NOT_FOUND.test(words)) return "not-found";
  return "other";
}

/**
 * Why a container's program never ran when the runtime could not exec it after the container started (the run then
 * ends with a status and the runtime's one line, and nothing from the program); undefined when the program ran.
 */
export function runtimeExecFailure(stdout: string, stderr: string): NotStartedReason | undefined {
  if (stdout.trim() !== "") return undefined;
  const lines = stderr.trim().split("\n");
  const match = lines.length === 1 ? RUNTIME_EXEC_LINE.exec(lines[0]?.trim() ?? "") : null;
  if (!match) return undefined;
  return EXEC_FORMAT.test(match[1] ?? "") ? "exec-format" : "not-found";
}

/**
 * The statuses a container ends with when the engine killed it (`kill`, `stop`, `rm --force`, the out-of-memory
 * killer: SIGKILL, SIGTERM), which qus's helpers and probes never exit with by themselves.
 */
export function killedFromOutside(status: number): boolean {
  return status === 137 || status === 143;
}
