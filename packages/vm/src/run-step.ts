import { type Exec, type ExecOptions, execProcess, formatCommand, QusError, type QusErrorCode } from "@qus/core";

/** Options every `qus vm` operation takes: its process seam and where progress lines go. */
export interface StepOptions {
  readonly exec?: Exec;
  /** Called with one line per step started (`qus vm create` takes minutes). */
  readonly onProgress?: (line: string) => void;
}

/**
 * Runs one program of a `qus vm` step; a failure, a timeout or a program that did not start becomes a QusError with
 * the command and the end of its output, so the user sees which step broke and why.
 */
export async function runStep(
  options: StepOptions,
  argv: readonly string[],
  execOptions: ExecOptions & { readonly code?: QusErrorCode; readonly what: string },
): Promise<string> {
  const [file, ...args] = argv;
  if (!file) throw new Error("runStep: empty argv");
  const result = await (options.exec ?? execProcess)(file, args, execOptions);
  if (result.exitCode === 0) return result.stdout;
  const why = result.timedOut
    ? `did not finish within ${Math.round((execOptions.timeoutMs ?? 60_000) / 1000)} s`
    : result.startError
      ? `could not start (${result.startError})`
      : `failed (exit ${result.exitCode ?? result.signal})`;
  const output = tail(`${result.stderr}\n${result.stdout}`.trim(), 15);
  throw new QusError(execOptions.code ?? "QUS_VM_BUILD_FAILED", `${execOptions.what} ${why}: ${formatCommand(argv)}`, {
    hint: output ? `its last output:\n${output}` : undefined,
  });
}

/** The last `count` lines of `text`. */
export function tail(text: string, count: number): string {
  return text.split("\n").slice(-count).join("\n");
}
