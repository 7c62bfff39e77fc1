import { execa } from "execa";

/** How a process ended. Never throws for a non-zero exit: callers decide what an exit means. */
export interface ExecResult {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** errno code when the process could not be started at all (`ENOENT`, `ENOEXEC`, `EACCES`). */
  readonly startError: string | undefined;
  readonly timedOut: boolean;
}

/** Options of one process run. */
export interface ExecOptions {
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
}

/** Runs one program with an argv array (never through a shell). The seam every driver runs processes through. */
export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** The default {@link Exec}, on execa. */
export const execProcess: Exec = async (file, args, options = {}) => {
  const result = await execa(file, [...args], {
    reject: false,
    stripFinalNewline: true,
    timeout: options.timeoutMs ?? 60_000,
    input: options.input,
    env: options.env,
    cwd: options.cwd,
    extendEnv: true,
    shell: false,
  });
  const startError = result.exitCode === undefined && !result.signal ? (result as { code?: string }).code : undefined;
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    startError,
    timedOut: result.timedOut,
  };
};
