import { accessSync, constants, statSync } from "node:fs";
import { constants as os } from "node:os";
import { delimiter, resolve } from "node:path";

/**
 * The exit statuses `qus run` keeps for itself, as `docker run` does: the command's own status passes through
 * unchanged, a death by signal N becomes 128 + N, as a shell reports it.
 */
export const RUN_STATUS = {
  /** qus failed before the command ran: the namespace, a registration or a probe (its QUS_ code on stderr). */
  qusFailed: 125,
  /** The command was found but cannot be run (not executable, a folder, no handler for its format). */
  cannotRun: 126,
  /** The command was not found. */
  notFound: 127,
} as const;

/** A process's end as the shell reports it: its status, or 128 + the number of the signal that killed it. */
export function shellStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal === null ? undefined : os.signals[signal];
  return number === undefined ? RUN_STATUS.qusFailed : 128 + number;
}

/** Why a command cannot be started, told before any namespace is made; undefined when it can be. */
export type CommandProblem = { readonly status: 126 | 127; readonly message: string };

/**
 * Looks the command up as execvp will (a name with a slash as it is, else each PATH folder), so that a command
 * that is not there or not executable gets 127 or 126 with qus's own words rather than a shell's.
 */
export function commandProblem(
  command: string,
  path = process.env.PATH ?? "",
  isRunnable: (file: string) => "yes" | "missing" | "not-executable" = runnable,
): CommandProblem | undefined {
  const candidates = command.includes("/")
    ? [command]
    : path.split(delimiter).map((dir) => resolve(dir === "" ? "." : dir, command));
  const verdicts = candidates.map(isRunnable);
  if (verdicts.includes("yes")) return undefined;
  if (verdicts.includes("not-executable"))
    return { status: RUN_STATUS.cannotRun, message: `${command}: found but not executable (a folder, or no x bit)` };
  return {
    status: RUN_STATUS.notFound,
    message: command.includes("/") ? `${command}: no such file` : `${command}: not found in PATH`,
  };
}

function runnable(file: string): "yes" | "missing" | "not-executable" {
  try {
    if (statSync(file).isDirectory()) return "not-executable";
  } catch {
    return "missing";
  }
  try {
    accessSync(file, constants.X_OK);
    return "yes";
  } catch {
    return "not-executable";
  }
}
