import { spawn } from "node:child_process";

/** How a process ended. Never throws for a non-zero exit: callers decide what an exit means. */
export interface ExecResult {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** errno code when the process could not be started at all (`ENOENT`, `EACCES`). */
  readonly startError: string | undefined;
  readonly timedOut: boolean;
}

/** Options of one process run. */
export interface ExecOptions {
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Added to (not replacing) the environment. */
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
}

/** Runs one program with an argv array (never through a shell). The seam every driver runs processes through. */
export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/**
 * The default {@link Exec}, on node:child_process directly: qus starts many short processes (probes, QEMU), and a
 * process library's load and per-call cost showed up as a large share of a no-op run in tools/bench.
 */
export const execProcess: Exec = (file, args, options = {}) =>
  new Promise((resolve) => {
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      shell: false,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let startError: string | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? 60_000);
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        exitCode: startError ? undefined : (code ?? undefined),
        signal: signal ?? undefined,
        stdout: trimFinalNewline(Buffer.concat(stdout).toString("utf8")),
        stderr: trimFinalNewline(Buffer.concat(stderr).toString("utf8")),
        startError,
        timedOut,
      });
    };
    child.on("error", (error: NodeJS.ErrnoException) => {
      startError = error.code ?? error.message;
      // A process that never started emits no "close" on every Node version: settle here too.
      if (child.pid === undefined) finish(null, null);
    });
    child.on("close", finish);
    if (options.input !== undefined) child.stdin?.end(options.input);
  });

function trimFinalNewline(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}
