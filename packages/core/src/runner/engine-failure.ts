import type { ExecResult } from "../exec.js";

// The words docker, podman and buildx print for the failures of an engine command that qus tells apart: read here
// only (the engine seam's words), so no other package matches another program's wording.

/** A failure an engine's client names in its own words, once the command ran and failed. */
export type EngineFailure =
  | "no-such-context"
  | "bad-host"
  | "unreachable"
  | "buildx-missing"
  | "no-such-builder"
  | "no-such-container"
  | "no-such-image"
  | "no-such-path";

/** Each failure with what the clients print for it, most specific first. */
const WORDS: readonly (readonly [EngineFailure, RegExp])[] = [
  ["buildx-missing", /is not a docker command|unknown command "buildx"/i],
  ["no-such-context", /context "(?:[^"\\]|\\.)*":? (?:context not found|does not exist)/i],
  ["bad-host", /invalid bind address format|unable to parse docker host/i],
  ["unreachable", /cannot connect|is the docker daemon running|error during connect|Failed to initialize:/i],
  ["no-such-builder", /no builder .* found/i],
  ["no-such-container", /no such container/i],
  ["no-such-image", /no such image|no such object/i],
  ["no-such-path", /could not find the file|no such file|not found/i],
];

/** The failure the output of a command that failed names, or undefined (also for a command that succeeded). */
export function classifyEngineOutput(
  result: Pick<ExecResult, "exitCode" | "stdout" | "stderr">,
): EngineFailure | undefined {
  if (result.exitCode === 0) return undefined;
  const text = `${result.stderr}\n${result.stdout}`;
  return WORDS.find(([, words]) => words.test(text))?.[0];
}
