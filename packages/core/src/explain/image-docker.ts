import { QusError } from "../errors.js";
import type { Exec } from "../exec.js";
import { DEFAULT_ENGINE_TIMEOUT_MS } from "../runner/cli-runner-options.js";
import { type EngineOutcome, engineCommand } from "../runner/engine-command.js";
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

/** The docker CLI calls explain needs, on core's engine seam: argv arrays and time bounds. */
export function dockerCli(exec: Exec, context: string | undefined) {
  const docker = engineCommand({ context, exec });
  const call = async (args: readonly string[]): Promise<EngineOutcome> => {
    const outcome = await docker.run(args, { timeoutMs: DEFAULT_ENGINE_TIMEOUT_MS * 2 });
    if (outcome.kind === "not-installed") {
      throw new QusError("QUS_ENGINE_UNREACHABLE", "the docker client (docker) is not installed", {
        hint: "install the docker CLI, or explain files on the machine that runs them",
      });
    }
    if (outcome.kind === "timed-out" || outcome.kind === "could-not-start") {
      throw new QusError(
        "QUS_ENGINE_UNREACHABLE",
        `${formatCommand(["docker", ...args.slice(0, 2)])} ${outcome.kind === "timed-out" ? "did not answer in time" : `could not start: ${outcome.reason}`}`,
        { hint: "check that the engine answers: docker info" },
      );
    }
    return outcome;
  };
  const failed = (what: string, outcome: EngineOutcome) => {
    const { result } = outcome;
    return outcome.kind === "refused" && outcome.failure === "unreachable"
      ? new QusError("QUS_ENGINE_UNREACHABLE", `${what}: ${result.stderr.trim()}`, {
          hint: "check that the engine answers: docker info",
        })
      : new QusError("QUS_EXEC_FAILED", `${what}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  };
  const refused = (outcome: EngineOutcome, failure: string) =>
    outcome.kind === "refused" && outcome.failure === failure;
  return {
    /** The engine seam these calls run on, for the runner that judges the programs on the same engine. */
    command: docker,
    async inspectImage(ref: string): Promise<ImageConfig> {
      const outcome = await call(["image", "inspect", "--format", "{{json .}}", "--", ref]);
      if (outcome.result.exitCode !== 0) {
        if (refused(outcome, "no-such-image")) {
          throw new QusError("QUS_IMAGE_MISSING", `the engine has no image ${ref}`, {
            hint: `pull or build it first: ${formatCommand(["docker", "pull", ref])}`,
          });
        }
        throw failed(`docker image inspect ${ref}`, outcome);
      }
      try {
        return JSON.parse(outcome.result.stdout) as ImageConfig;
      } catch (error) {
        throw new QusError("QUS_EXEC_FAILED", `docker image inspect ${ref} printed no JSON`, { cause: error });
      }
    },
    async create(ref: string, name: string): Promise<void> {
      // Created, never started: the command is a placeholder the image need not have.
      const outcome = await call(["create", "--name", name, "--network", "none", "--", ref, "/qus-never-run"]);
      if (outcome.result.exitCode !== 0) throw failed(`docker create ${ref}`, outcome);
    },
    /** Copies a path out of the container; false when the image has no such path. */
    async copy(name: string, path: string, to: string): Promise<boolean> {
      const outcome = await call(["cp", `${name}:${path}`, to]);
      if (outcome.result.exitCode === 0) return true;
      if (refused(outcome, "no-such-path")) return false;
      throw failed(`docker cp ${path}`, outcome);
    },
    /** Removes a container; true when it is gone (or was never made). */
    async remove(name: string): Promise<boolean> {
      const outcome = await docker.run(["rm", "--force", "--", name], { timeoutMs: DEFAULT_ENGINE_TIMEOUT_MS });
      return outcome.result.exitCode === 0 || refused(outcome, "no-such-container");
    },
    /** The command a user pastes to remove a container this left behind. */
    removeCommand(name: string): string {
      return docker.display(["rm", "--force", name]);
    },
    removeSync(name: string): void {
      docker.runSync(["rm", "--force", "--", name], { timeoutMs: 10_000 });
    },
  };
}

export type DockerCli = ReturnType<typeof dockerCli>;
