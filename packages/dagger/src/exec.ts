import { type Container, type ContainerWithExecOpts, ReturnType } from "@dagger.io/dagger";
import type { ExecResult } from "@qus/core/runner";
import { engineAnswered, engineCall, messageOf, NONCE_VARIABLE, runNonce } from "./engine.js";

/** How long a container qus runs may take when its caller sets no bound: 120 s. */
export const DEFAULT_EXEC_TIMEOUT_MS = 120_000;

/** The status `docker run` exits with when the engine refused to create or start the container. */
const ENGINE_REFUSED = 125;

/**
 * Runs one command in a container to its end and reads how it ended, as core's runners report a process:
 * exit status, output, and `timedOut` past `timeoutMs`. Every exit status is an answer (`expect: ANY`); an exec
 * the engine could not start comes back as the engine's words in `stderr`, with `startError: "ENOEXEC"` for
 * `exec format error` and status 125 otherwise, as `docker run` reports a container its engine would not start. A fresh {@link NONCE_VARIABLE} keeps the engine
 * from answering from its cache. Past the bound the engine is not stopped (the API has no way to): the result
 * says `timedOut` and the session ends it.
 */
export async function execToEnd(
  container: Container,
  args: readonly string[],
  options: Omit<ContainerWithExecOpts, "expect"> & { readonly timeoutMs?: number },
): Promise<ExecResult> {
  const { timeoutMs = DEFAULT_EXEC_TIMEOUT_MS, ...execOptions } = options;
  const run = async (): Promise<ExecResult> => {
    const ran = container
      .withEnvVariable(NONCE_VARIABLE, runNonce())
      .withExec([...args], { ...execOptions, expect: ReturnType.Any });
    let synced: Container;
    try {
      synced = await engineCall("withExec", () => ran.sync());
    } catch (error) {
      if (!engineAnswered(error)) throw error;
      const message = messageOf(error);
      const noHandler = /exec format error/i.test(message);
      return {
        // As `docker run` reports a container the engine would not start: status 125 and the engine's words.
        exitCode: noHandler ? undefined : ENGINE_REFUSED,
        signal: undefined,
        stdout: "",
        stderr: message,
        startError: noHandler ? "ENOEXEC" : undefined,
        timedOut: false,
      };
    }
    const [exitCode, stdout, stderr] = await Promise.all([
      engineCall("exitCode", () => synced.exitCode()),
      engineCall("stdout", () => synced.stdout()),
      engineCall("stderr", () => synced.stderr()),
    ]);
    // Dagger reports a process killed by a signal as 128 + its number, as a shell does.
    const signal = exitCode > 128 && exitCode < 160 ? `signal ${exitCode - 128}` : undefined;
    return { exitCode, signal, stdout, stderr, startError: undefined, timedOut: false };
  };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<ExecResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          exitCode: undefined,
          signal: undefined,
          stdout: "",
          stderr: "",
          startError: undefined,
          timedOut: true,
        }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([run(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
