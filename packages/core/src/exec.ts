import { spawn, spawnSync } from "node:child_process";
import { QusError } from "./errors.js";
import { processWide } from "./process-wide.js";
import { formatCommand, quoteShellArg } from "./shell-quote.js";

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
  /** The process and all its descendants are killed after this long (60 s by default). */
  readonly timeoutMs?: number;
  /** Added to (not replacing) the environment. */
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Most bytes of stdout and stderr together that are kept ({@link DEFAULT_MAX_OUTPUT_BYTES} by default). */
  readonly maxOutputBytes?: number;
  /** Where stdout goes, piped with backpressure, instead of being kept (then `stdout` is empty and not capped). */
  readonly stdout?: NodeJS.WritableStream;
  /** What the process reads on stdin, piped with backpressure (instead of `input`). */
  readonly stdin?: NodeJS.ReadableStream;
  /** Ends the process and its tree when aborted, as a timeout does (but not reported as one). */
  readonly signal?: AbortSignal;
}

/**
 * Runs one program with an argv array (never through a shell). The seam every driver runs processes through.
 * Rejects only with `QUS_OUTPUT_TOO_LARGE`, for a process that printed more than its cap (then killed with its tree).
 */
export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** Default timeout of one process. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Default cap of one process's captured output (stdout and stderr together): far above what any program qus runs
 * prints, far below what would exhaust a small CI runner's memory.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 32 * 2 ** 20;

// After the group is killed, output still buffered in the pipes is read for this long, then the pipes are let go.
const DRAIN_MS = 200;

const running = processWide("exec.running", () => new Set<number>());

/** Kills the process groups of every process qus is still running (on SIGINT/SIGTERM, before exiting). */
export function killRunningProcesses(): void {
  for (const pid of running) killGroup(pid);
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * The default {@link Exec}, on node:child_process directly: qus starts many short processes (probes, QEMU), and a
 * process library's load and per-call cost showed up as a large share of a no-op run in tools/bench.
 *
 * Each process leads its own process group; at the timeout the whole group is killed, so a hung grandchild (an
 * emulator under `chroot` or `xargs`) cannot hold qus by keeping its output pipes open.
 */
export const execProcess: Exec = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawnLeader(file, args, options);
    const pid = child.pid;
    const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    let startError: string | undefined;
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let drain: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const output = cappedOutput(maxOutputBytes, () => {
      if (pid !== undefined) killGroup(pid);
      // Nothing more is read: the pipes are let go now rather than drained.
      finish();
    });
    if (options.stdout) child.stdout?.pipe(options.stdout);
    else child.stdout?.on("data", output.keepStdout);
    child.stderr?.on("data", output.keepStderr);
    if (options.stdin && child.stdin) options.stdin.pipe(child.stdin);
    const abort = () => pid !== undefined && killGroup(pid);
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener("abort", abort, { once: true });
    // A process that errors on stdin (it exited before reading its input) must not crash qus.
    child.stdin?.on("error", () => {});
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drain);
      options.signal?.removeEventListener("abort", abort);
      if (pid !== undefined) {
        // Descendants that outlived their parent (a daemonized grandchild) end with it.
        killGroup(pid);
        running.delete(pid);
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (output.overflowed()) {
        const check = `check which program that is (command -v ${quoteShellArg(file)}) and that it works by itself`;
        reject(outputTooLarge(formatCommand([file, ...args]), check, maxOutputBytes));
        return;
      }
      const { stdout, stderr } = output.text();
      resolve({
        exitCode: startError ? undefined : (exit?.code ?? undefined),
        signal: exit?.signal ?? undefined,
        stdout,
        stderr,
        startError,
        timedOut,
      });
    };
    child.on("error", (error: NodeJS.ErrnoException) => {
      startError = error.code ?? error.message;
      // A process that never started emits no "close" on every Node version: settle here too.
      if (child.pid === undefined) finish();
    });
    // "exit" comes when the process itself ended; "close" only when every holder of its pipes has closed them,
    // which a surviving grandchild may never do: read what is buffered briefly, then stop waiting.
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      // Piped stdout is read at its reader's pace: cutting it short would lose what the pipe still holds.
      if (!options.stdout) drain = setTimeout(finish, DRAIN_MS);
    });
    child.on("close", (code, signal) => {
      exit ??= { code, signal };
      finish();
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });

/** Spawns the program (never through a shell) as the leader of its own process group, noted among those running. */
function spawnLeader(file: string, args: readonly string[], options: ExecOptions) {
  const child = spawn(file, [...args], {
    cwd: options.cwd,
    env: options.env ? { ...process.env, ...options.env } : process.env,
    stdio: [options.input === undefined && !options.stdin ? "ignore" : "pipe", "pipe", "pipe"],
    shell: false,
    detached: true,
  });
  if (child.pid !== undefined) running.add(child.pid);
  return child;
}

/**
 * Keeps a process's stdout and stderr, up to `limit` bytes together; the chunk that passes it calls `onOverflow`,
 * once, and nothing more is kept.
 */
function cappedOutput(limit: number, onOverflow: () => void) {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let bytes = 0;
  let overflowed = false;
  const keep = (into: Buffer[]) => (chunk: Buffer) => {
    if (overflowed) return;
    bytes += chunk.length;
    if (bytes <= limit) {
      into.push(chunk);
      return;
    }
    overflowed = true;
    onOverflow();
  };
  return {
    keepStdout: keep(stdout),
    keepStderr: keep(stderr),
    overflowed: () => overflowed,
    /** What was kept, as text, without the final newline. */
    text: () => ({
      stdout: trimFinalNewline(Buffer.concat(stdout).toString("utf8")),
      stderr: trimFinalNewline(Buffer.concat(stderr).toString("utf8")),
    }),
  };
}

/**
 * `QUS_OUTPUT_TOO_LARGE` for a process (or container) that printed more than `limit` bytes: a broken or hostile
 * program whose output qus must not buffer. `hint` says what to check.
 */
export function outputTooLarge(what: string, hint: string, limit = DEFAULT_MAX_OUTPUT_BYTES): QusError {
  return new QusError(
    "QUS_OUTPUT_TOO_LARGE",
    `${what} printed more than ${limit / 2 ** 20} MiB and was ended with its child processes`,
    { hint },
  );
}

function trimFinalNewline(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** How a synchronous best-effort run ended: its exit code (undefined when it could not start or was killed) and output. */
export interface SyncRunResult {
  readonly exitCode: number | undefined;
  readonly stdout: string;
}

/**
 * Runs one program synchronously, best effort, killed at `timeoutMs` (10 s by default): only for clean-up on an
 * interruption of qus (SIGINT, SIGTERM), when the event loop will not run again. Never throws.
 */
export function runSyncBestEffort(
  file: string,
  args: readonly string[],
  options: { readonly timeoutMs?: number } = {},
): SyncRunResult {
  try {
    const result = spawnSync(file, [...args], {
      encoding: "utf8",
      timeout: options.timeoutMs ?? 10_000,
      killSignal: "SIGKILL",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: DEFAULT_MAX_OUTPUT_BYTES,
    });
    return { exitCode: result.status ?? undefined, stdout: result.stdout ?? "" };
  } catch {
    return { exitCode: undefined, stdout: "" };
  }
}
