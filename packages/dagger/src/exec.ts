import { type Container, type ContainerWithExecOpts, ReturnType } from "@dagger.io/dagger";
import type { ContainerOutcome, NotStartedReason } from "@qus/core/runner";
import { engineAnswered, engineCall, messageOf, NONCE_VARIABLE, runNonce } from "./engine.js";

/** How long a container qus runs may take when its caller sets no bound: 120 s. */
export const DEFAULT_EXEC_TIMEOUT_MS = 120_000;

/**
 * Runs one command in a container to its end and types how it ended: `ran` with its status and output (every exit
 * status is an answer: `expect: ANY`), `not-started` when the engine could not start the exec (its words read here,
 * once: {@link notStartedReasonOf}), `timed-out` past `timeoutMs`. A fresh {@link NONCE_VARIABLE} keeps the engine
 * from answering from its cache. Past the bound the engine is not stopped (the API has no way to): the outcome
 * says `timed-out` and the session ends it.
 */
export async function execToEnd(
  container: Container,
  args: readonly string[],
  options: Omit<ContainerWithExecOpts, "expect"> & { readonly timeoutMs?: number },
): Promise<ContainerOutcome> {
  const { timeoutMs = DEFAULT_EXEC_TIMEOUT_MS, ...execOptions } = options;
  const run = async (): Promise<ContainerOutcome> => {
    const ran = container
      .withEnvVariable(NONCE_VARIABLE, runNonce())
      .withExec([...args], { ...execOptions, expect: ReturnType.Any });
    let synced: Container;
    try {
      synced = await engineCall("withExec", () => ran.sync());
    } catch (error) {
      if (!engineAnswered(error)) throw error;
      const message = messageOf(error);
      return { kind: "not-started", reason: notStartedReasonOf(message), detail: message };
    }
    const [exitCode, stdout, stderr] = await Promise.all([
      engineCall("exitCode", () => synced.exitCode()),
      engineCall("stdout", () => synced.stdout()),
      engineCall("stderr", () => synced.stderr()),
    ]);
    // Dagger reports a process killed by a signal as 128 + its number, as a shell does.
    const signal = exitCode > 128 && exitCode < 160 ? `signal ${exitCode - 128}` : undefined;
    return signal ? { kind: "ran", exitCode, signal, stdout, stderr } : { kind: "ran", exitCode, stdout, stderr };
  };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<ContainerOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "timed-out", stdout: "", stderr: "" }), timeoutMs);
  });
  try {
    return await Promise.race([run(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Why the Dagger engine could not start an exec, from its words (`process "/x" did not complete: exec format error`,
 * `exec /x: no such file or directory`).
 */
export function notStartedReasonOf(message: string): NotStartedReason {
  if (/exec format error/i.test(message)) return "exec-format";
  if (/no such file or directory|executable file not found/i.test(message)) return "not-found";
  if (/operation not permitted|unable to apply caps/i.test(message)) return "refused";
  return "other";
}
