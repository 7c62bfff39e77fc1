import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onInterrupt } from "../cleanup.js";
import { QusError } from "../errors.js";
import { type Exec, type ExecResult, execProcess } from "../exec.js";
import { formatCommand, quoteShellArg } from "../shell-quote.js";
import type { ContainerRunner, EngineInfo, RunSpec } from "./types.js";

/** Options of the docker CLI runner. DOCKER_HOST and DOCKER_CONTEXT in the environment are honoured by docker itself. */
export interface DockerCliOptions {
  /** `docker --context NAME`. */
  readonly context?: string;
  /** The docker client; `docker` on PATH by default. */
  readonly docker?: string;
  readonly exec?: Exec;
  /**
   * How long a call the engine answers at once may take (`docker info`, `image inspect`, `create`, `cp`, `rm`)
   * before the engine counts as not answering. Default: {@link ENGINE_TIMEOUT_ENV} (seconds) from the
   * environment, else {@link DEFAULT_ENGINE_TIMEOUT_MS}.
   */
  readonly engineTimeoutMs?: number;
  /** How long a container may run when its {@link RunSpec} sets no `timeoutMs`. */
  readonly runTimeoutMs?: number;
  /** How long a `docker pull` may take. */
  readonly pullTimeoutMs?: number;
  /**
   * Registers the removal of a running container, should qus be interrupted (SIGINT, SIGTERM); returns its
   * unregistration. Default: the process-wide clean-ups the CLI runs on a signal.
   */
  readonly onInterrupt?: (cleanup: () => void) => () => void;
}

/** Default bound of a call the engine answers at once: an engine that takes longer is not answering. */
export const DEFAULT_ENGINE_TIMEOUT_MS = 15_000;
/** Default bound of one helper container's run (its probes are bounded inside it, well below this). */
export const DEFAULT_RUN_TIMEOUT_MS = 120_000;
/** Default bound of a `docker pull`. */
export const DEFAULT_PULL_TIMEOUT_MS = 300_000;
/** Environment variable that sets the engine timeout, in seconds (`QUS_ENGINE_TIMEOUT=60` for a slow remote). */
export const ENGINE_TIMEOUT_ENV = "QUS_ENGINE_TIMEOUT";
/** Every container qus starts is named with this prefix and a random suffix, so it can be removed by name. */
export const CONTAINER_NAME_PREFIX = "qus-helper-";

/** Where {@link ContainerRunner.runProgram} puts the program inside the container. */
export const PROGRAM_PATH = "/qus-program";

/** A fresh container name: `qus-helper-` and 12 random hex digits. */
export function helperContainerName(): string {
  return `${CONTAINER_NAME_PREFIX}${randomBytes(6).toString("hex")}`;
}

/** argv of `docker run` for a helper container (after the global options). */
export function dockerRunArgs(spec: RunSpec, name?: string): string[] {
  return ["run", "--rm", "--interactive", ...nameArgs(name), ...containerOptions(spec)];
}

/** argv of `docker create` for a container whose only process is a program copied in afterwards. */
export function dockerCreateArgs(spec: Omit<RunSpec, "command" | "entrypoint">, name?: string): string[] {
  return ["create", ...nameArgs(name), ...containerOptions({ ...spec, command: [], entrypoint: PROGRAM_PATH })];
}

function nameArgs(name: string | undefined): string[] {
  return name ? [`--name=${name}`] : [];
}

function containerOptions(spec: RunSpec): string[] {
  return [
    "--network=none",
    "--pull=never",
    ...(spec.privileged ? ["--privileged"] : spec.capAdd.map((cap) => `--cap-add=${cap}`)),
    ...spec.securityOpt.map((option) => `--security-opt=${option}`),
    ...(spec.platform ? [`--platform=${spec.platform}`] : []),
    ...(spec.entrypoint !== undefined ? [`--entrypoint=${spec.entrypoint}`] : []),
    // The image is never read as an option, whatever it starts with.
    "--",
    spec.image,
    ...spec.command,
  ];
}

/**
 * The engine timeout set in the environment ({@link ENGINE_TIMEOUT_ENV}, seconds), in milliseconds; undefined when
 * unset. Throws QUS_USAGE for a value that is not a number of seconds.
 */
export function engineTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[ENGINE_TIMEOUT_ENV];
  if (text === undefined || text.trim() === "") return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new QusError(
      "QUS_USAGE",
      `${ENGINE_TIMEOUT_ENV} must be a number of seconds from 0 to 3600, not ${JSON.stringify(text)}`,
      {
        hint: `unset it for the default of ${DEFAULT_ENGINE_TIMEOUT_MS / 1000} s, or set for example ${ENGINE_TIMEOUT_ENV}=60`,
      },
    );
  }
  return seconds * 1000;
}

/** Where the docker client will go, in words, for messages: a context, DOCKER_HOST, or the default engine. */
export function describeEndpoint(context: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (context !== undefined) return `context ${quoteShellArg(context)}`;
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  if (env.DOCKER_CONTEXT) return `context ${quoteShellArg(env.DOCKER_CONTEXT)}`;
  return "the default engine";
}

/** Parses `docker info --format '{{json .}}'`. */
export function parseDockerInfo(json: string, endpoint: string): EngineInfo {
  let info: {
    Architecture?: string;
    ServerVersion?: string;
    SecurityOptions?: string[] | null;
    ServerErrors?: string[] | null;
  };
  try {
    info = JSON.parse(json) ?? {};
  } catch {
    throw new QusError("QUS_EXEC_FAILED", `docker info printed what qus cannot read: ${excerpt(json)}`, {
      hint: "check that `docker` is Docker's client (docker version)",
    });
  }
  if (typeof info !== "object") {
    throw new QusError("QUS_EXEC_FAILED", `docker info printed what qus cannot read: ${excerpt(json)}`);
  }
  if (!info.ServerVersion) {
    throw unreachable(endpoint, info.ServerErrors?.join("; ") || "docker info reported no server");
  }
  const options = Array.isArray(info.SecurityOptions) ? info.SecurityOptions : [];
  const has = (name: string) => options.some((option) => String(option).split(",").includes(`name=${name}`));
  return {
    architecture: info.Architecture || "unknown",
    serverVersion: info.ServerVersion,
    rootless: has("rootless"),
    userns: has("userns"),
    apparmor: has("apparmor"),
    endpoint,
  };
}

function unreachable(endpoint: string, detail: string, hint?: string): QusError {
  return new QusError(
    "QUS_ENGINE_UNREACHABLE",
    `cannot reach the container engine at ${endpoint}: ${nonEmpty(detail)}`,
    {
      hint: hint ?? "start the engine (dockerd), or point DOCKER_HOST / --context at a running one",
    },
  );
}

/** One line of text, never empty, at most 300 characters: what an error message says after its colon. */
function nonEmpty(detail: string): string {
  const line = detail.trim().split("\n").filter(Boolean).join(" ").replace(/\s+/g, " ");
  return line.length > 300 ? `${line.slice(0, 300)}...` : line || "no error message";
}

function excerpt(text: string): string {
  return text.trim() ? JSON.stringify(text.trim().slice(0, 120)) : "nothing";
}

/**
 * What a docker command that failed said, for a message: the last lines of its error output, or how it ended
 * when it printed nothing. Never empty.
 */
export function describeDockerFailure(result: ExecResult): string {
  const text = (result.stderr.trim() || result.stdout.trim())
    .split("\n")
    .map((line) => line.trim())
    // docker's usage reminder after an error says nothing about the error.
    .filter((line) => line && !/^Run '.*--help' for more information$/.test(line));
  const lines = text.slice(-3).join(" ");
  if (lines) return nonEmpty(lines);
  if (result.timedOut) return "it did not finish in time and was stopped";
  if (result.signal) return `it was killed by ${result.signal}`;
  if (result.startError) return `it could not be started (${result.startError})`;
  return `it exited with status ${result.exitCode ?? "unknown"} and printed nothing`;
}

/** The docker CLI's own words for an endpoint it cannot use. */
const CONTEXT_NOT_FOUND = /context "((?:[^"\\]|\\.)*)"(?::)? (?:context not found|does not exist)/i;
const BAD_HOST = /invalid bind address format|unable to parse docker host/i;
const CANNOT_CONNECT = /Cannot connect to the Docker daemon|error during connect|Failed to initialize/i;
// The CLI's own log line when the engine's connection broke while it attached to or waited for a container.
const CONNECTION_LOST = /error waiting for container|level=error msg="[^"]*(?:EOF|connection reset|broken pipe)/i;

/** The default {@link ContainerRunner}: the docker CLI, with argv arrays, every call bounded in time. */
export function createDockerCliRunner(options: DockerCliOptions = {}): ContainerRunner {
  const exec = options.exec ?? execProcess;
  const docker = options.docker ?? "docker";
  if (options.context !== undefined && options.context.trim() === "") {
    throw new QusError("QUS_USAGE", "the docker context name is empty", {
      hint: `name a context that ${formatCommand(["docker", "context", "ls"])} lists, or leave --context out for the default`,
    });
  }
  const engineTimeoutMs = options.engineTimeoutMs ?? engineTimeoutFromEnv() ?? DEFAULT_ENGINE_TIMEOUT_MS;
  const runTimeoutMs = options.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const pullTimeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
  const register = options.onInterrupt ?? onInterrupt;
  const endpoint = describeEndpoint(options.context);
  const global = options.context !== undefined ? ["--context", options.context] : [];
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  const dockerLine = (args: readonly string[]) => formatCommand(["docker", ...global, ...args]);

  /** Errors that are about where docker goes, not about the command: the same for every command. */
  function endpointFailure(result: ExecResult, what: string): QusError | undefined {
    const text = `${result.stderr}\n${result.exitCode === 0 ? "" : result.stdout}`;
    const context = CONTEXT_NOT_FOUND.exec(text);
    if (context) {
      const name = options.context ?? process.env.DOCKER_CONTEXT ?? context[1] ?? "";
      const from = options.context !== undefined ? "" : process.env.DOCKER_CONTEXT ? " (from DOCKER_CONTEXT)" : "";
      return new QusError("QUS_USAGE", `the docker context ${quoteShellArg(name)}${from} does not exist`, {
        hint: `list the contexts with ${formatCommand(["docker", "context", "ls"])} and pass one of them with --context`,
      });
    }
    if (BAD_HOST.test(text)) {
      return new QusError(
        "QUS_USAGE",
        `docker cannot use the engine address ${endpoint}: ${describeDockerFailure(result)}`,
        {
          hint: "set DOCKER_HOST to unix:///var/run/docker.sock, tcp://HOST:2376 or ssh://USER@HOST, or unset it",
        },
      );
    }
    if (result.exitCode !== 0 && CANNOT_CONNECT.test(text)) {
      return unreachable(endpoint, `${what} failed: ${describeDockerFailure(result)}`);
    }
    if (result.exitCode !== 0 && CONNECTION_LOST.test(text)) {
      return unreachable(
        endpoint,
        `the connection broke during ${what}: ${describeDockerFailure(result)}`,
        "check the engine and the way to it; a helper container left behind ends within its time bound and removes itself (--rm)",
      );
    }
    return undefined;
  }

  async function dockerCommand(args: readonly string[], timeoutMs: number, what: string): Promise<ExecResult> {
    const result = await exec(docker, [...global, ...args], { timeoutMs });
    if (result.startError === "ENOENT") {
      throw new QusError("QUS_ENGINE_UNREACHABLE", `the docker client (${docker}) is not installed`, {
        hint: "install the docker CLI, or use --driver local on the machine that runs the builds",
      });
    }
    if (result.startError) {
      throw new QusError("QUS_EXEC_FAILED", `could not start the docker client (${docker}): ${result.startError}`);
    }
    const failure = endpointFailure(result, what);
    if (failure) throw failure;
    return result;
  }

  /** A call the engine answers at once: not answering in time means the engine is not answering. */
  async function engineCall(args: readonly string[]): Promise<ExecResult> {
    const what = `\`${dockerLine(args.slice(0, args[0] === "image" ? 2 : 1))}\``;
    const result = await dockerCommand(args, engineTimeoutMs, what);
    if (result.timedOut) {
      throw unreachable(
        endpoint,
        `${what} did not answer within ${seconds(engineTimeoutMs)}`,
        `check that the engine answers (${dockerLine(["info"])}); for a slow remote engine allow more time, for example ${ENGINE_TIMEOUT_ENV}=60`,
      );
    }
    return result;
  }

  /** Removes a container by name, best effort: it may be gone already, or the engine may not answer. */
  async function removeContainer(name: string): Promise<void> {
    try {
      await dockerCommand(["rm", "--force", "--", name], engineTimeoutMs, "`docker rm`");
    } catch {
      // Nothing more can be done from here; --rm removes a helper that ends by itself.
    }
  }

  /** Runs `body` with the container's removal registered for an interruption of qus. */
  async function withContainer<T>(name: string, body: () => Promise<T>): Promise<T> {
    const unregister = register(() => {
      spawnSync(docker, [...global, "rm", "--force", "--", name], { stdio: "ignore", timeout: 10_000 });
    });
    try {
      return await body();
    } finally {
      unregister();
    }
  }

  return {
    name: "docker",
    async info() {
      const result = await engineCall(["info", "--format", "{{json .}}"]);
      if (!result.stdout.trim().startsWith("{")) {
        if (result.exitCode === 0) {
          throw new QusError("QUS_EXEC_FAILED", `docker info printed what qus cannot read: ${excerpt(result.stdout)}`, {
            hint: "check that `docker` is Docker's client (docker version)",
          });
        }
        throw unreachable(endpoint, `\`docker info\` failed: ${describeDockerFailure(result)}`);
      }
      return parseDockerInfo(result.stdout, endpoint);
    },
    async imageLabels(image) {
      const result = await engineCall(["image", "inspect", "--format", "{{json .Config.Labels}}", "--", image]);
      if (result.exitCode !== 0) {
        if (/no such image|no such object/i.test(result.stderr)) return undefined;
        throw new QusError(
          "QUS_EXEC_FAILED",
          `could not inspect the image ${image} on the engine at ${endpoint}: ${describeDockerFailure(result)}`,
        );
      }
      let labels: unknown;
      try {
        labels = JSON.parse(result.stdout || "null");
      } catch {
        labels = undefined;
      }
      if (labels === null) return {};
      if (typeof labels !== "object" || Array.isArray(labels) || labels === undefined) {
        throw new QusError(
          "QUS_EXEC_FAILED",
          `docker image inspect printed labels qus cannot read for ${image}: ${excerpt(result.stdout)}`,
        );
      }
      return Object.fromEntries(Object.entries(labels as object).map(([key, value]) => [key, String(value)]));
    },
    async run(spec) {
      const name = helperContainerName();
      return withContainer(name, async () => {
        const result = await dockerCommand(dockerRunArgs(spec, name), spec.timeoutMs ?? runTimeoutMs, "`docker run`");
        // Stopped on time, killed, or docker failed after creating it: --rm may not have happened.
        if (result.exitCode !== 0) await removeContainer(name);
        return result;
      });
    },
    async runProgram(spec, program) {
      const name = helperContainerName();
      return withContainer(name, async () => {
        const dir = mkdtempSync(join(tmpdir(), "qus-program-"));
        try {
          const created = await engineCall(dockerCreateArgs(spec, name));
          if (created.exitCode !== 0) return created;
          const file = join(dir, "program");
          writeFileSync(file, program);
          chmodSync(file, 0o755);
          // docker cp streams through the engine's API, so this works with a remote DOCKER_HOST too.
          const copied = await engineCall(["cp", file, `${name}:${PROGRAM_PATH}`]);
          if (copied.exitCode !== 0) return copied;
          return await dockerCommand(
            ["start", "--attach", "--", name],
            spec.timeoutMs ?? runTimeoutMs,
            "`docker start`",
          );
        } finally {
          rmSync(dir, { recursive: true, force: true });
          await removeContainer(name);
        }
      });
    },
    async pull(image) {
      const result = await dockerCommand(["pull", "--quiet", "--", image], pullTimeoutMs, "`docker pull`");
      return result.exitCode === 0 && !result.timedOut;
    },
  };
}
