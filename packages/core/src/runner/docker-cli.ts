import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QusError } from "../errors.js";
import { type Exec, type ExecResult, execProcess } from "../exec.js";
import type { ContainerRunner, EngineInfo, RunSpec } from "./types.js";

/** Options of the docker CLI runner. DOCKER_HOST and DOCKER_CONTEXT in the environment are honoured by docker itself. */
export interface DockerCliOptions {
  /** `docker --context NAME`. */
  readonly context?: string;
  /** The docker client; `docker` on PATH by default. */
  readonly docker?: string;
  readonly exec?: Exec;
}

/** Where {@link ContainerRunner.runProgram} puts the program inside the container. */
export const PROGRAM_PATH = "/qus-program";

/** argv of `docker run` for a helper container (after the global options). */
export function dockerRunArgs(spec: RunSpec): string[] {
  return ["run", "--rm", "--interactive", ...containerOptions(spec)];
}

/** argv of `docker create` for a container whose only process is a program copied in afterwards. */
export function dockerCreateArgs(spec: Omit<RunSpec, "command" | "entrypoint">): string[] {
  return ["create", ...containerOptions({ ...spec, command: [], entrypoint: PROGRAM_PATH })];
}

function containerOptions(spec: RunSpec): string[] {
  return [
    "--network=none",
    "--pull=never",
    ...(spec.privileged ? ["--privileged"] : spec.capAdd.map((cap) => `--cap-add=${cap}`)),
    ...spec.securityOpt.map((option) => `--security-opt=${option}`),
    ...(spec.platform ? [`--platform=${spec.platform}`] : []),
    ...(spec.entrypoint !== undefined ? [`--entrypoint=${spec.entrypoint}`] : []),
    spec.image,
    ...spec.command,
  ];
}

function contextArgs(context: string | undefined): string[] {
  return context ? ["--context", context] : [];
}

/** Parses `docker info --format '{{json .}}'`. */
export function parseDockerInfo(json: string, endpoint: string): EngineInfo {
  const info = JSON.parse(json) as {
    Architecture?: string;
    ServerVersion?: string;
    SecurityOptions?: string[];
    ServerErrors?: string[];
  };
  if (!info.ServerVersion && info.ServerErrors?.length) throw unreachable(endpoint, info.ServerErrors.join("; "));
  const options = info.SecurityOptions ?? [];
  const has = (name: string) => options.some((option) => option.split(",").includes(`name=${name}`));
  return {
    architecture: info.Architecture ?? "unknown",
    serverVersion: info.ServerVersion ?? "unknown",
    rootless: has("rootless"),
    userns: has("userns"),
    apparmor: has("apparmor"),
    endpoint,
  };
}

function unreachable(endpoint: string, detail: string): QusError {
  return new QusError("QUS_ENGINE_UNREACHABLE", `cannot reach the container engine at ${endpoint}: ${detail.trim()}`, {
    hint: "start the engine (dockerd), or point DOCKER_HOST / --context at a running one",
  });
}

/** The default {@link ContainerRunner}: the docker CLI, with argv arrays. */
export function createDockerCliRunner(options: DockerCliOptions = {}): ContainerRunner {
  const exec = options.exec ?? execProcess;
  const docker = options.docker ?? "docker";
  const endpoint = options.context
    ? `context ${options.context}`
    : (process.env.DOCKER_HOST ?? process.env.DOCKER_CONTEXT ?? "the default engine");
  const context = contextArgs(options.context);

  async function dockerCommand(args: readonly string[]): Promise<ExecResult> {
    const result = await exec(docker, [...context, ...args], { timeoutMs: 120_000 });
    if (result.startError === "ENOENT") {
      throw new QusError("QUS_ENGINE_UNREACHABLE", `the docker client (${docker}) is not installed`, {
        hint: "install the docker CLI, or use --driver local on the machine that runs the builds",
      });
    }
    return result;
  }

  return {
    name: "docker",
    async info() {
      const result = await dockerCommand(["info", "--format", "{{json .}}"]);
      if (result.exitCode !== 0 || !result.stdout.trim().startsWith("{"))
        throw unreachable(endpoint, result.stderr || result.stdout);
      return parseDockerInfo(result.stdout, endpoint);
    },
    async imageLabels(image) {
      const result = await dockerCommand(["image", "inspect", "--format", "{{json .Config.Labels}}", image]);
      if (result.exitCode !== 0) return undefined;
      return (JSON.parse(result.stdout || "null") as Record<string, string> | null) ?? {};
    },
    run: (spec) => dockerCommand(dockerRunArgs(spec)),
    async runProgram(spec, program) {
      const created = await dockerCommand(dockerCreateArgs(spec));
      const id = created.stdout.trim().split("\n").at(-1) ?? "";
      if (created.exitCode !== 0 || !/^[0-9a-f]{12,64}$/.test(id)) return created;
      const dir = mkdtempSync(join(tmpdir(), "qus-program-"));
      try {
        const file = join(dir, "program");
        writeFileSync(file, program);
        chmodSync(file, 0o755);
        // docker cp streams through the engine's API, so this works with a remote DOCKER_HOST too.
        const copied = await dockerCommand(["cp", file, `${id}:${PROGRAM_PATH}`]);
        if (copied.exitCode !== 0) return copied;
        return await dockerCommand(["start", "--attach", id]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await dockerCommand(["rm", "--force", id]);
      }
    },
    async pull(image) {
      return (await dockerCommand(["pull", "--quiet", image])).exitCode === 0;
    },
  };
}
