import { QusError } from "../errors.js";
import type { ExecResult } from "../exec.js";
import { lastLines, oneLine } from "./outcome.js";
import { killedFromOutside, notStartedReason, runtimeExecFailure } from "./runtime-words.js";
import type { ContainerOutcome } from "./types.js";

// What a docker-like CLI printed, read for messages: the words of the errors the CLI runners throw.

/** QUS_ENGINE_UNREACHABLE naming the endpoint and what failed. */
export function unreachable(endpoint: string, detail: string, hint: string): QusError {
  return new QusError(
    "QUS_ENGINE_UNREACHABLE",
    `cannot reach the container engine at ${endpoint}: ${oneLine(detail)}`,
    {
      hint,
    },
  );
}

/** The start of a text, quoted, for a message about output qus cannot read. */
export function excerpt(text: string): string {
  return text.trim() ? JSON.stringify(text.trim().slice(0, 120)) : "nothing";
}

/** Info output that is not what the client should print: the machine's client is broken or not the engine's. */
export function unreadableInfo(name: string, text: string): QusError {
  return new QusError("QUS_ENGINE_UNREACHABLE", `${name} info printed what qus cannot read: ${excerpt(text)}`, {
    hint: `check that \`${name}\` is the ${name} client (${name} version)`,
  });
}

/** Parses a JSON object, or throws {@link unreadableInfo}. */
export function parseInfoObject<T extends object>(name: string, json: string): Partial<T> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw unreadableInfo(name, json);
  }
  if (value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw unreadableInfo(name, json);
  return value as Partial<T>;
}

/**
 * What a container command that failed said, for a message: the last lines of its error output, or how it ended
 * when it printed nothing. Never empty.
 */
export function describeRunFailure(result: ExecResult): string {
  const lines = lastLines(result.stdout, result.stderr);
  if (lines) return lines;
  if (result.timedOut) return "it did not finish in time and was stopped";
  if (result.signal) return `it was killed by ${result.signal}`;
  if (result.startError) return `it could not be started (${result.startError})`;
  return `it exited with status ${result.exitCode ?? "unknown"} and printed nothing`;
}

/** The statuses `docker run` and `podman run` reserve for their own failures: 125 the engine's, 126 and 127 the exec's. */
const ENGINE_STATUSES = new Set([125, 126, 127]);

/**
 * How a `run` or `start --attach` of a docker-like CLI ended, typed: the CLI's reserved statuses with nothing from
 * the program, or the runtime's one line, are a container that did not start, for the reason its words give.
 */
export function cliOutcome(result: ExecResult, client: string): ContainerOutcome {
  const { stdout, stderr, exitCode } = result;
  if (result.timedOut) return { kind: "timed-out", stdout, stderr };
  if (exitCode === undefined) {
    // The client itself was killed (the run's own bound is `timedOut`): the container's end is unknown.
    const detail = result.signal ? `the ${client} client was killed by ${result.signal}` : `no status from ${client}`;
    return { kind: "interrupted", detail, stdout, stderr };
  }
  if (killedFromOutside(exitCode)) return { kind: "interrupted", detail: `status ${exitCode}`, stdout, stderr };
  if (exitCode !== 0 && ENGINE_STATUSES.has(exitCode) && stdout.trim() === "") {
    const reason = notStartedReason(stderr);
    return {
      kind: "not-started",
      reason: reason === "other" && exitCode === 127 ? "not-found" : reason,
      detail: describeRunFailure(result),
    };
  }
  const failedExec = exitCode !== 0 ? runtimeExecFailure(stdout, stderr) : undefined;
  if (failedExec) return { kind: "not-started", reason: failedExec, detail: describeRunFailure(result) };
  return { kind: "ran", exitCode, stdout, stderr };
}

/** A command of the CLI (`create`, `cp`) that failed before the container's program could run, typed. */
export function cliNotStarted(result: ExecResult): ContainerOutcome {
  return { kind: "not-started", reason: notStartedReason(result.stderr), detail: describeRunFailure(result) };
}
