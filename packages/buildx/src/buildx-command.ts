import { QusError } from "@qus/core";
import {
  buildxErrorLine,
  classifyEngineOutput,
  type EngineCommand,
  type EngineOutcome,
  type Exec,
  type ExecResult,
  engineCommand,
} from "@qus/core/runner";

/**
 * How long each docker command qus buildx runs may take, in milliseconds. At the limit the command's whole process
 * group is killed and the run reports `QUS_TIMEOUT` naming the command (a proof build: that platform not proven,
 * with code `QUS_TIMEOUT`); `docker info` that does not answer is `QUS_ENGINE_UNREACHABLE`.
 */
export interface BuildxTimeouts {
  /** `docker info`: does the engine answer at all. */
  readonly info: number;
  /** `docker buildx inspect NAME`: reads the builder's record, starts nothing. */
  readonly inspect: number;
  /** `docker buildx create`. */
  readonly create: number;
  /** `docker buildx inspect --bootstrap NAME`: may pull the builder's image (moby/buildkit) and start it. */
  readonly bootstrap: number;
  /** One proof build, `docker buildx build` of a FROM scratch image. */
  readonly build: number;
  /** `docker buildx use`. */
  readonly use: number;
  /** `docker buildx stop` (a restart) and `docker buildx rm` (removing a builder this run created). */
  readonly stop: number;
}

/** The default timeouts (documented in the package's README). */
export const DEFAULT_TIMEOUTS: BuildxTimeouts = {
  info: 20_000,
  inspect: 30_000,
  create: 60_000,
  bootstrap: 300_000,
  build: 180_000,
  use: 30_000,
  stop: 60_000,
};

/** Runs `docker [--context C] ...` through core's engine seam, with argv arrays. */
export interface BuildxCli {
  /** The engine seam it runs on: the same object answers `docker info` for the binfmt helper's runner. */
  readonly engine: EngineCommand;
  /**
   * `docker [--context C] buildx ARGS`. Resolves with how it ended, whatever its exit code; throws `QUS_TIMEOUT`
   * (naming the command) when it had to be killed at `timeoutMs`, and `QUS_ENGINE_UNREACHABLE` when the client
   * or its buildx plugin is missing.
   */
  run(args: readonly string[], options: { timeoutMs: number }): Promise<ExecResult>;
  /** `docker [--context C] ARGS`, as {@link run} but without `buildx`. */
  docker(args: readonly string[], options: { timeoutMs: number }): Promise<ExecResult>;
  /** The command line of `docker [--context C] buildx ARGS`, quoted for a POSIX shell: for hints and messages. */
  display(args: readonly string[]): string;
  /** As {@link display}, without `buildx`. */
  displayDocker(args: readonly string[]): string;
  /** `docker [--context C] buildx ARGS`, synchronously: only for clean-up when qus is interrupted. */
  runSync(args: readonly string[], options: { timeoutMs: number }): { exitCode: number | undefined; stdout: string };
}

/** A {@link BuildxCli} on the docker client at `context` (its default endpoint without one). */
export function createBuildxCli(exec: Exec, context?: string, docker = "docker"): BuildxCli {
  return buildxCliOn(engineCommand({ program: docker, context: context || undefined, exec }));
}

/** A {@link BuildxCli} on an engine seam. */
export function buildxCliOn(engine: EngineCommand): BuildxCli {
  const { program } = engine;
  const displayDocker = (args: readonly string[]) => engine.display(args);

  function judged(outcome: EngineOutcome, command: string, timeoutMs: number): ExecResult {
    if (outcome.kind === "not-installed") {
      throw new QusError("QUS_ENGINE_UNREACHABLE", `the docker client (${program}) is not installed`, {
        hint: "install the docker CLI and its buildx plugin",
      });
    }
    if (outcome.kind === "timed-out") throw timeoutError(command, timeoutMs, outcome.result);
    return outcome.result;
  }

  return {
    engine,
    async run(args, { timeoutMs }) {
      const outcome = await engine.buildx(args, { timeoutMs });
      if (outcome.kind === "refused" && outcome.failure === "buildx-missing") {
        throw new QusError("QUS_ENGINE_UNREACHABLE", "docker buildx is not installed", {
          hint: "install the buildx plugin (package docker-buildx on Debian 13 and Ubuntu; bash tools/setup-docker.sh in qus's repository does it on Debian 12)",
        });
      }
      return judged(outcome, engine.displayBuildx(args), timeoutMs);
    },
    docker: async (args, { timeoutMs }) =>
      judged(await engine.run(args, { timeoutMs }), displayDocker(args), timeoutMs),
    display: (args) => engine.displayBuildx(args),
    displayDocker,
    runSync: (args, { timeoutMs }) => engine.buildxSync(args, { timeoutMs }),
  };
}

/** The `QUS_TIMEOUT` error of a command killed at its timeout. */
export function timeoutError(command: string, timeoutMs: number, result?: ExecResult): QusError {
  const detail = result ? tail(result) : "";
  return new QusError(
    "QUS_TIMEOUT",
    `${command} did not finish within ${seconds(timeoutMs)} and was killed${detail ? ` (last output: ${detail})` : ""}`,
    { hint: "check that the docker engine answers (docker info) and is not overloaded, then run again" },
  );
}

/** `180 s`, `1.5 s`. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** argv of `buildx create` for a new builder; `node` names its one node. */
export function createArgs(
  name: string,
  driver: string,
  driverOpts: readonly string[],
  use: boolean,
  node?: string,
): string[] {
  return [
    "create",
    "--name",
    name,
    ...(node ? ["--node", node] : []),
    "--driver",
    driver,
    ...driverOpts.flatMap((opt) => ["--driver-opt", opt]),
    ...(use ? ["--use"] : []),
  ];
}

/** argv of `buildx inspect --bootstrap`: starts the builder's nodes and prints them. */
export function inspectArgs(name: string): string[] {
  return ["inspect", "--bootstrap", name];
}

/** argv of one proof build: no cache, so the RUN step really runs; no output kept. */
export function proofBuildArgs(builder: string, platform: string, contextDir: string): string[] {
  return [
    "build",
    "--builder",
    builder,
    "--platform",
    platform,
    "--no-cache",
    "--progress",
    "plain",
    "--output",
    "type=cacheonly",
    contextDir,
  ];
}

/**
 * argv of the build that proves several platforms at once: one multi-platform build (`--platform A,B`), as the
 * user's will be; no cache; no output kept.
 */
export function togetherBuildArgs(builder: string, platforms: readonly string[], contextDir: string): string[] {
  return [
    "build",
    "--builder",
    builder,
    "--platform",
    platforms.join(","),
    "--no-cache",
    "--progress",
    "plain",
    "--output",
    "type=cacheonly",
    contextDir,
  ];
}

/** The last lines of a failed command, for error messages. */
export function tail(result: ExecResult, lines = 3): string {
  return (result.stderr || result.stdout).trim().split("\n").slice(-lines).join(" ").trim();
}

/** The last `ERROR:` line buildx printed (its own summary of what failed), else the last lines. */
export function lastError(result: ExecResult): string {
  return buildxErrorLine(result) ?? tail(result);
}

/** buildx's answer when a builder does not exist (`ERROR: no builder "x" found`). */
export function isNoBuilder(result: ExecResult): boolean {
  return classifyEngineOutput(result) === "no-such-builder";
}
