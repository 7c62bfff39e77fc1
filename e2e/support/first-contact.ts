import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { userEnv } from "../../tools/pack-install.mjs";

/**
 * A new user's empty folder under the system's temp folder, with nothing configured but the npm registry (its own
 * npmrc, its own npm cache: nothing of this machine's ~/.npmrc or cache, no workspace around it), and how to run a
 * command there as that user's shell would.
 */
export interface UserFolder {
  readonly dir: string;
  /** The user's environment: no npm_* variables of the test run, npm pointed at the registry only. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs a program (argv array) in the folder; never rejects: its status and output. */
  run(
    file: string,
    args: readonly string[],
    options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string },
  ): Promise<UserRun>;
}

/** How a user's command ended. */
export interface UserRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** An empty folder whose npm knows only `registry`; `cache` is npm's cache folder (shared by a test file's users). */
export function userFolder(registry: string, cache: string): UserFolder {
  const dir = mkdtempSync(join(tmpdir(), "qus-first-contact-"));
  const npmrc = join(dir, ".npmrc-user");
  writeFileSync(npmrc, `registry=${registry}\nupdate-notifier=false\nfund=false\naudit=false\n`);
  const env = {
    ...userEnv(),
    NPM_CONFIG_USERCONFIG: npmrc,
    NPM_CONFIG_REGISTRY: registry,
    NPM_CONFIG_CACHE: cache,
    NO_COLOR: "1",
  };
  return {
    dir,
    env,
    run: (file, args, options = {}) =>
      new Promise((resolve) => {
        execFile(
          file,
          args,
          {
            cwd: options.cwd ?? dir,
            env: { ...env, ...options.env },
            encoding: "utf8",
            timeout: options.timeoutMs ?? 300_000,
            killSignal: "SIGKILL",
            maxBuffer: 64 * 1024 * 1024,
          },
          (error, stdout, stderr) => {
            const status = error ? (typeof error.code === "number" ? error.code : null) : 0;
            resolve({ status, stdout, stderr: `${stderr}${error && status === null ? String(error) : ""}` });
          },
        );
      }),
  };
}
