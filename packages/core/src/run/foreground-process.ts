import { spawn } from "node:child_process";
import type { Readable } from "node:stream";

/** Where one of the command's standard streams goes: qus's own (`inherit`), nowhere, or an open file descriptor. */
export type StdioTarget = "inherit" | "ignore" | number;

/** How a foreground process ended, and the lines it wrote on its fd 3. */
export interface ForegroundEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lines: readonly string[];
  /** Why it could not start (ENOENT), if it did not. */
  readonly startError?: string;
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs a process in the foreground: stdin, stdout and stderr as given (qus's own by default), fd 3 a pipe whose
 * lines are collected, and SIGINT, SIGTERM and SIGHUP sent to qus passed on to it while it runs (qus's own handlers,
 * which would exit, set aside meanwhile). The one place `qus run` starts a process.
 */
export function runForeground(
  argv: readonly string[],
  stdio: readonly [StdioTarget, StdioTarget, StdioTarget] = ["inherit", "inherit", "inherit"],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ForegroundEnd> {
  const [file, ...args] = argv;
  if (file === undefined) throw new TypeError("runForeground needs a program");
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: [...stdio, "pipe"], env });
    const restore = forwardSignals(child.pid, Boolean(process.stdin.isTTY) && stdio[0] === "inherit");
    let text = "";
    let startError: string | undefined;
    (child.stdio[3] as Readable | null)?.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      startError = error.code ?? error.message;
      if (child.pid === undefined) {
        restore();
        resolve({ code: null, signal: null, lines: [], startError });
      }
    });
    // "close": fd 3 is read to its end (the script closes it before the command starts, so no command holds it).
    child.on("close", (code, signal) => {
      restore();
      resolve({ code, signal, lines: text.split("\n").filter((line) => line !== ""), startError });
    });
  });
}

/** Passes qus's signals on to a child; returns the undoing. */
function forwardSignals(pid: number | undefined, onTerminal: boolean): () => void {
  const saved = FORWARDED.map((signal) => [signal, process.listeners(signal)] as const);
  const forwarders = FORWARDED.map((signal) => {
    const forward = () => {
      // Ctrl-C on a terminal already reached the child: it is in qus's process group.
      if (signal === "SIGINT" && onTerminal) return;
      if (pid !== undefined) process.kill(pid, signal);
    };
    process.removeAllListeners(signal);
    process.on(signal, forward);
    return [signal, forward] as const;
  });
  return () => {
    for (const [signal, forward] of forwarders) process.removeListener(signal, forward);
    for (const [signal, listeners] of saved) for (const listener of listeners) process.on(signal, listener);
  };
}
