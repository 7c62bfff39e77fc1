import { cpuOfMachine } from "../architectures.js";
import { QusError } from "../errors.js";
import type { ExecResult } from "../exec.js";
import { formatCommand, quoteShellArg } from "../shell-quote.js";
import type { EngineFacts } from "./cli-engine.js";
import { describeRunFailure, parseInfoObject, unreachable } from "./cli-output.js";
import { createCliRunner } from "./cli-runner.js";
import type { CliRunnerOptions } from "./cli-runner-options.js";
import type { ContainerRunner } from "./types.js";

/** Options of the docker CLI runner. DOCKER_HOST and DOCKER_CONTEXT in the environment are honoured by docker itself. */
export interface DockerCliOptions extends CliRunnerOptions {
  /** `docker --context NAME`. */
  readonly context?: string;
  /** `docker --host URL` (unix://, tcp://, ssh://): an engine address, as a buildx node's endpoint may be one. */
  readonly host?: string;
  /** The docker client; `docker` on PATH by default. */
  readonly docker?: string;
}

const UNREACHABLE_HINT = "start the engine (dockerd), or point DOCKER_HOST / --context at a running one";

/** Where the docker client will go, in words, for messages: a context, DOCKER_HOST, or the default endpoint (a current context, else the local socket). */
export function describeEndpoint(context: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (context !== undefined) return `context ${quoteShellArg(context)}`;
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  if (env.DOCKER_CONTEXT) return `context ${quoteShellArg(env.DOCKER_CONTEXT)}`;
  return "the default endpoint";
}

/** What qus reads of docker's info, as `docker info --format '{{json .}}'` prints it and `GET /info` answers it. */
export interface DockerInfo {
  readonly Architecture?: string;
  readonly ServerVersion?: string;
  readonly SecurityOptions?: readonly string[] | null;
  readonly ServerErrors?: readonly string[] | null;
}

/** Parses `docker info --format '{{json .}}'`. */
export function parseDockerInfo(json: string, endpoint: string): EngineFacts {
  return dockerInfoFacts(parseInfoObject<DockerInfo>("docker", json), endpoint);
}

/**
 * The facts of docker's info (the CLI's JSON or the Engine API's `GET /info`). Throws QUS_ENGINE_UNREACHABLE when
 * it names no server.
 */
export function dockerInfoFacts(info: DockerInfo, endpoint: string): EngineFacts {
  if (!info.ServerVersion) {
    throw unreachable(endpoint, info.ServerErrors?.join("; ") || "docker info reported no server", UNREACHABLE_HINT);
  }
  const options = Array.isArray(info.SecurityOptions) ? info.SecurityOptions : [];
  const has = (name: string) => options.some((option) => String(option).split(",").includes(`name=${name}`));
  const architecture = info.Architecture || "unknown";
  return {
    info: {
      cpu: cpuOfMachine(architecture),
      architecture,
      version: info.ServerVersion,
      rootless: has("rootless"),
      userns: has("userns"),
      endpoint,
    },
    confinement: { apparmor: has("apparmor"), selinux: has("selinux") },
  };
}

/** The docker CLI's own words for an endpoint it cannot use. */
const CONTEXT_NOT_FOUND = /context "((?:[^"\\]|\\.)*)"(?::)? (?:context not found|does not exist)/i;
const BAD_HOST = /invalid bind address format|unable to parse docker host/i;
const CANNOT_CONNECT = /Cannot connect to the Docker daemon|error during connect|Failed to initialize/i;
// The CLI's own log line when the engine's connection broke while it attached to or waited for a container.
const CONNECTION_LOST = /error waiting for container|level=error msg="[^"]*(?:EOF|connection reset|broken pipe)/i;

/** Errors that are about where docker goes, not about the command: the same for every command. */
function dockerEndpointFailure(
  context: string | undefined,
  endpoint: string,
  result: ExecResult,
  what: string,
): QusError | undefined {
  const text = `${result.stderr}\n${result.exitCode === 0 ? "" : result.stdout}`;
  const found = CONTEXT_NOT_FOUND.exec(text);
  if (found) {
    const name = context ?? process.env.DOCKER_CONTEXT ?? found[1] ?? "";
    const from = context !== undefined ? "" : process.env.DOCKER_CONTEXT ? " (from DOCKER_CONTEXT)" : "";
    return new QusError("QUS_USAGE", `the docker context ${quoteShellArg(name)}${from} does not exist`, {
      hint: `list the contexts with ${formatCommand(["docker", "context", "ls"])} and pass one of them with --context`,
    });
  }
  if (BAD_HOST.test(text)) {
    return new QusError(
      "QUS_USAGE",
      `docker cannot use the engine address ${endpoint}: ${describeRunFailure(result)}`,
      {
        hint: "set DOCKER_HOST to unix:///var/run/docker.sock, tcp://HOST:2376 or ssh://USER@HOST, or unset it",
      },
    );
  }
  if (result.exitCode !== 0 && CANNOT_CONNECT.test(text)) {
    return unreachable(endpoint, `${what} failed: ${describeRunFailure(result)}`, UNREACHABLE_HINT);
  }
  if (result.exitCode !== 0 && CONNECTION_LOST.test(text)) {
    return unreachable(
      endpoint,
      `the connection broke during ${what}: ${describeRunFailure(result)}`,
      "check the engine and the way to it; a helper container left behind ends within its time bound and removes itself (--rm)",
    );
  }
  return undefined;
}

/** The default {@link ContainerRunner}: the docker CLI, with argv arrays, every call bounded in time. */
export function createDockerCliRunner(options: DockerCliOptions = {}): ContainerRunner {
  const { context, host } = options;
  const endpoint = host ?? describeEndpoint(context);
  const target =
    context !== undefined
      ? { option: "--context", noun: "docker context", value: context }
      : host !== undefined
        ? { option: "--host", noun: "docker engine address", value: host }
        : undefined;
  return createCliRunner(
    {
      ...DOCKER,
      program: options.docker ?? "docker",
      target: target && { ...target, list: ["docker", "context", "ls"] },
      endpoint,
      endpointFailure: (result, what) => dockerEndpointFailure(context, endpoint, result, what),
    },
    options,
  );
}

/** What every docker runner shares. */
const DOCKER = {
  name: "docker",
  hints: {
    install: "install the docker CLI, or use --driver local on the machine that runs the builds",
    unreachable: UNREACHABLE_HINT,
    buildTimeout:
      "BuildKit may be held by a hung emulator's platform check (qus verify --platforms all shows it); fix that entry, or retry with DOCKER_BUILDKIT=0",
  },
  infoArgs: ["info", "--format", "{{json .}}"],
  parseInfo: parseDockerInfo,
  noSuchImage: /no such image|no such object/i,
} as const;
