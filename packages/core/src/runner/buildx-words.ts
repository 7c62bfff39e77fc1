import type { ExecResult } from "../exec.js";

// What buildx and BuildKit print, read once here for @qus/buildx: its error lines, its create's refusals, a
// builder's image that could not be pulled, and how a proof build's RUN step ended.

/** buildx's own summary of what failed: its last `ERROR:` line, or undefined. */
export function buildxErrorLine(result: Pick<ExecResult, "stdout" | "stderr">): string | undefined {
  const lines = `${result.stdout}\n${result.stderr}`.split("\n").map((line) => line.trim());
  return lines.filter((line) => /^ERROR:/.test(line)).at(-1);
}

/** `buildx create` found a builder of the name made meanwhile by another process (with `--node`: "did you mean to append"). */
export function isBuilderCreateRace(result: Pick<ExecResult, "stdout" | "stderr">): boolean {
  return /existing instance|did you mean to append/i.test(`${result.stderr}\n${result.stdout}`);
}

/** `buildx create` refused its driver options (at create, buildx only parses and checks them); `detail` is its error. */
export function isRefusedBuilderOptions(detail: string): boolean {
  return /invalid|parse error|failed to initialize builder|unknown/i.test(detail);
}

/** A bootstrap that failed because the engine could not get the builder's image: the image named, if it is. */
export function buildxPullFailure(output: string): { readonly image?: string } | undefined {
  if (!/pulling image/i.test(output)) return undefined;
  const failed =
    /pull access denied|manifest unknown|not found|no such host|dial tcp|i\/o timeout|connection refused|TLS handshake|unauthorized|Error response from daemon: Get /i;
  if (!failed.test(output)) return undefined;
  const image = /pulling image (\S+)/i.exec(output)?.[1];
  return image ? { image } : {};
}

/**
 * How a proof build's RUN of `/probe` ended, as BuildKit reports it: the step's exit status (`... exit code: N`) and
 * the runtime's exec error line (`exec /probe: <errno text>`) with its errno text; undefined when the probe never ran.
 */
export function probeStepEnd(output: string): { status: number; execLine?: string; errno?: string } | undefined {
  const status = /\[\/probe\]: exit code: (\d+)|"\/probe" did not complete successfully: exit code: (\d+)/.exec(output);
  const code = Number(status?.[1] ?? status?.[2]);
  if (!status || !Number.isInteger(code)) return undefined;
  const execError = /^(?:#\d+ )?[\d.]+ (exec \/probe: (.+))$/m.exec(output);
  if (!execError) return { status: code };
  return { status: code, execLine: execError[1]?.trim() ?? "", errno: execError[2]?.trim() ?? "" };
}
