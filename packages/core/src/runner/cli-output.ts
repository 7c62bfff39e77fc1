import { QusError } from "../errors.js";
import type { ExecResult } from "../exec.js";

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

/** One line of text, never empty, at most 300 characters: what an error message says after its colon. */
function oneLine(detail: string): string {
  const line = detail.trim().split("\n").filter(Boolean).join(" ").replace(/\s+/g, " ");
  return line.length > 300 ? `${line.slice(0, 300)}...` : line || "no error message";
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
  const text = (result.stderr.trim() || result.stdout.trim())
    .split("\n")
    .map((line) => line.trim())
    // The CLI's usage reminder after an error says nothing about the error.
    .filter((line) => line && !/^Run '.*--help' for more information$/.test(line));
  const lines = text.slice(-3).join(" ");
  if (lines) return oneLine(lines);
  if (result.timedOut) return "it did not finish in time and was stopped";
  if (result.signal) return `it was killed by ${result.signal}`;
  if (result.startError) return `it could not be started (${result.startError})`;
  return `it exited with status ${result.exitCode ?? "unknown"} and printed nothing`;
}
