import { spawnSync } from "node:child_process";
import { QusError } from "../errors.js";
import type { Exec, ExecResult } from "../exec.js";
import { DEFAULT_ENGINE_TIMEOUT_MS } from "../runner/cli-runner-options.js";
import { formatCommand } from "../shell-quote.js";

/** What `docker image inspect` says of an image, as far as explain reads it. */
export interface ImageConfig {
  readonly Id?: string;
  readonly Os?: string;
  readonly Architecture?: string;
  readonly Variant?: string;
  readonly Config?: {
    readonly Entrypoint?: string[] | null;
    readonly Cmd?: string[] | null;
    readonly WorkingDir?: string;
    readonly Env?: string[] | null;
  };
}

/** The docker CLI calls explain needs, with argv arrays and time bounds. */
export function dockerCli(exec: Exec, context: string | undefined) {
  const global = context === undefined ? [] : ["--context", context];
  const call = async (args: readonly string[]): Promise<ExecResult> => {
    const result = await exec("docker", [...global, ...args], { timeoutMs: DEFAULT_ENGINE_TIMEOUT_MS * 2 });
    if (result.startError === "ENOENT") {
      throw new QusError("QUS_ENGINE_UNREACHABLE", "the docker client (docker) is not installed", {
        hint: "install the docker CLI, or explain files on the machine that runs them",
      });
    }
    if (result.timedOut || result.startError) {
      throw new QusError(
        "QUS_ENGINE_UNREACHABLE",
        `${formatCommand(["docker", ...args.slice(0, 2)])} ${result.timedOut ? "did not answer in time" : `could not start: ${result.startError}`}`,
        { hint: "check that the engine answers: docker info" },
      );
    }
    return result;
  };
  const failed = (what: string, result: ExecResult) =>
    /cannot connect|is the docker daemon running|error during connect/i.test(result.stderr)
      ? new QusError("QUS_ENGINE_UNREACHABLE", `${what}: ${result.stderr.trim()}`, {
          hint: "check that the engine answers: docker info",
        })
      : new QusError("QUS_EXEC_FAILED", `${what}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  return {
    async inspectImage(ref: string): Promise<ImageConfig> {
      const result = await call(["image", "inspect", "--format", "{{json .}}", "--", ref]);
      if (result.exitCode !== 0) {
        if (/no such (image|object)/i.test(result.stderr)) {
          throw new QusError("QUS_IMAGE_MISSING", `the engine has no image ${ref}`, {
            hint: `pull or build it first: ${formatCommand(["docker", "pull", ref])}`,
          });
        }
        throw failed(`docker image inspect ${ref}`, result);
      }
      try {
        return JSON.parse(result.stdout) as ImageConfig;
      } catch (error) {
        throw new QusError("QUS_EXEC_FAILED", `docker image inspect ${ref} printed no JSON`, { cause: error });
      }
    },
    async create(ref: string, name: string): Promise<void> {
      // Created, never started: the command is a placeholder the image need not have.
      const result = await call(["create", "--name", name, "--network", "none", "--", ref, "/qus-never-run"]);
      if (result.exitCode !== 0) throw failed(`docker create ${ref}`, result);
    },
    /** Copies a path out of the container; false when the image has no such path. */
    async copy(name: string, path: string, to: string): Promise<boolean> {
      const result = await call(["cp", `${name}:${path}`, to]);
      if (result.exitCode === 0) return true;
      if (/could not find the file|no such file|not found/i.test(result.stderr)) return false;
      throw failed(`docker cp ${path}`, result);
    },
    /** Removes a container; true when it is gone (or was never made). */
    async remove(name: string): Promise<boolean> {
      const result = await exec("docker", [...global, "rm", "--force", "--", name], {
        timeoutMs: DEFAULT_ENGINE_TIMEOUT_MS,
      });
      return result.exitCode === 0 || /no such container/i.test(result.stderr);
    },
    /** The command a user pastes to remove a container this left behind. */
    removeCommand(name: string): string {
      return formatCommand(["docker", ...global, "rm", "--force", name]);
    },
    removeSync(name: string): void {
      spawnSync("docker", [...global, "rm", "--force", "--", name], { stdio: "ignore", timeout: 10_000 });
    },
  };
}

export type DockerCli = ReturnType<typeof dockerCli>;
