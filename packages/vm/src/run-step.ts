import { statfsSync } from "node:fs";
import { QusError, type QusErrorCode } from "@qus/core";
import { type Exec, type ExecOptions, type ExecResult, execProcess } from "@qus/core/runner";
import { formatCommand } from "@qus/core/toolkit";

/** Options every `qus vm` operation takes: its process seam and where progress lines go. */
export interface StepOptions {
  readonly exec?: Exec;
  /** Called with one line per step started (`qus vm create` takes minutes). */
  readonly onProgress?: (line: string) => void;
}

/** What a step is, for its errors; and the folders it writes into, whose free space explains a failure. */
export interface StepRun extends ExecOptions {
  readonly code?: QusErrorCode;
  readonly what: string;
  readonly writes?: readonly string[];
}

/** Below this much free space, a failed step that writes into a folder is taken as having run out of it. */
const NEARLY_FULL_BYTES = 16 * 2 ** 20;

/**
 * Runs one program of a `qus vm` step; a failure, a timeout or a program that did not start becomes a QusError with
 * the command and the end of its output, so the user sees which step broke and why. A step that failed while a
 * folder it writes into is full is `QUS_NO_SPACE` (exit 3), naming the folder.
 */
export async function runStep(options: StepOptions, argv: readonly string[], execOptions: StepRun): Promise<string> {
  const [file, ...args] = argv;
  if (!file) throw new Error("runStep: empty argv");
  return judgeStep(argv, await (options.exec ?? execProcess)(file, args, execOptions), execOptions);
}

/** How a step's program ended, judged as {@link runStep} does: its stdout, or the QusError of its failure. */
export function judgeStep(argv: readonly string[], result: ExecResult, execOptions: StepRun): string {
  if (result.exitCode === 0) return result.stdout;
  const why = result.timedOut
    ? `did not finish within ${Math.round((execOptions.timeoutMs ?? 60_000) / 1000)} s`
    : result.startError
      ? `could not start (${result.startError})`
      : `failed (exit ${result.exitCode ?? result.signal})`;
  const output = tail(`${result.stderr}\n${result.stdout}`.trim(), 15);
  const full = (execOptions.writes ?? []).find((dir) => freeBytes(dir) < NEARLY_FULL_BYTES);
  if (full !== undefined && !result.timedOut && !result.startError) {
    throw new QusError("QUS_NO_SPACE", `${execOptions.what} failed: ${full} has no space left`, {
      hint: `free space there, or point TMPDIR at a larger file system; its last output:\n${output}`,
    });
  }
  throw new QusError(execOptions.code ?? "QUS_VM_BUILD_FAILED", `${execOptions.what} ${why}: ${formatCommand(argv)}`, {
    hint: output ? `its last output:\n${output}` : undefined,
  });
}

/** Free bytes for an unprivileged writer in the file system of `dir`; Infinity when that cannot be read. */
function freeBytes(dir: string): number {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The last `count` lines of `text`. */
export function tail(text: string, count: number): string {
  return text.split("\n").slice(-count).join("\n");
}
