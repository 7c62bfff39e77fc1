import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onInterrupt } from "../cleanup.js";
import { QusError } from "../errors.js";
import { type Exec, type ExecResult, execProcess } from "../exec.js";
import { formatCommand } from "../shell-quote.js";
import type { ContainerRunner, EngineInfo, Privilege, RunSpec } from "./types.js";

/**
 * What a runner on a docker-like CLI (docker, podman) shares: argv arrays, every call bounded in time, helper
 * containers named and removed after a timeout, a failure or an interrupt. Each CLI's own module says how its
 * client is called, what its info looks like and how it words its errors ({@link CliEngine}).
 */

/** Options every CLI runner takes. */
export interface CliRunnerOptions {
  readonly exec?: Exec;
  /**
   * How long a call the engine answers at once may take (`info`, `image inspect`, `create`, `cp`, `rm`) before the
   * engine counts as not answering. Default: {@link ENGINE_TIMEOUT_ENV} (seconds) from the environment, else
   * {@link DEFAULT_ENGINE_TIMEOUT_MS}.
   */
  readonly engineTimeoutMs?: number;
  /** How long a container may run when its {@link RunSpec} sets no `timeoutMs`. */
  readonly runTimeoutMs?: number;
  /** How long a pull may take. */
  readonly pullTimeoutMs?: number;
  /** How long an image build may take when its spec sets no `timeoutMs`. */
  readonly buildTimeoutMs?: number;
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
/** Default bound of a pull. */
export const DEFAULT_PULL_TIMEOUT_MS = 300_000;
/** Default bound of an image build. */
export const DEFAULT_BUILD_TIMEOUT_MS = 600_000;
/** Environment variable that sets the engine timeout, in seconds (`QUS_ENGINE_TIMEOUT=60` for a slow remote). */
export const ENGINE_TIMEOUT_ENV = "QUS_ENGINE_TIMEOUT";
/** Every container qus starts is named with this prefix and a random suffix, so it can be removed by name. */
export const CONTAINER_NAME_PREFIX = "qus-helper-";
/** Where {@link ContainerRunner.runProgram} puts the program inside the container. */
export const PROGRAM_PATH = "/qus-program";

/** What confines the engine's containers, beyond capabilities: a mount then needs it lifted. */
export interface Confinement {
  readonly apparmor: boolean;
  readonly selinux: boolean;
}

/** What a CLI's info says: the neutral facts, and the confinement only its runner needs. */
export interface EngineFacts {
  readonly info: EngineInfo;
  readonly confinement: Confinement;
}

/** The global option that points a client at one engine (`docker --context NAME`), as the user gave it. */
export interface CliTarget {
  /** The option (`--context`, `--connection`). */
  readonly option: string;
  /** What it names, for messages (`docker context`). */
  readonly noun: string;
  readonly value: string;
  /** The command that lists the names it takes. */
  readonly list: readonly string[];
}

/** How one docker-like CLI differs from another. */
export interface CliEngine {
  /** The runner's name (`docker`, `podman`), also the command named in messages. */
  readonly name: string;
  /** The client to run. */
  readonly program: string;
  /** Where the user pointed the client, when not at its default. */
  readonly target?: CliTarget;
  /** Where the client goes, in words. */
  readonly endpoint: string;
  /** What to do when the client is not installed, when the engine does not answer, when a build takes too long. */
  readonly hints: { readonly install: string; readonly unreachable: string; readonly buildTimeout: string };
  /** Subcommand and options that print the engine's info as JSON. */
  readonly infoArgs: readonly string[];
  /** Reads that JSON. Throws QUS_ENGINE_UNREACHABLE when it shows no engine, QUS_EXEC_FAILED when unreadable. */
  parseInfo(json: string, endpoint: string): EngineFacts;
  /** Errors about where the client goes or the engine as a whole (the same for every command), else undefined. */
  endpointFailure(result: ExecResult, what: string): QusError | undefined;
  /** What `image inspect` says of an image the engine does not have. */
  readonly noSuchImage: RegExp;
}

/** A fresh container name: `qus-helper-` and 12 random hex digits. */
export function helperContainerName(): string {
  return `${CONTAINER_NAME_PREFIX}${randomBytes(6).toString("hex")}`;
}

/** A privilege level as docker and podman spell it, for reports. */
export function describeCliPrivilege(privilege: Privilege): string {
  return privilege === "full" ? "--privileged" : "--cap-add SYS_ADMIN";
}

/**
 * The options that give a container what its spec asks for: `--privileged` for full privilege; for least, only
 * what a mount of binfmt_misc needs: CAP_SYS_ADMIN, and AppArmor or SELinux lifted where the engine uses them.
 */
export function privilegeArgs(spec: Pick<RunSpec, "needsBinfmtMount" | "privilege">, confinement: Confinement) {
  if (spec.privilege === "full") return ["--privileged"];
  if (!spec.needsBinfmtMount) return [];
  return [
    "--cap-add=SYS_ADMIN",
    ...(confinement.apparmor ? ["--security-opt=apparmor=unconfined"] : []),
    ...(confinement.selinux ? ["--security-opt=label=disable"] : []),
  ];
}

/** argv of `run` for a helper container (after the global options), for docker and podman alike. */
export function runArgs(spec: RunSpec, confinement: Confinement, name?: string): string[] {
  return ["run", "--rm", "--interactive", ...nameArgs(name), ...containerOptions(spec, confinement)];
}

/** argv of `create` for a container whose only process is a program copied in afterwards. */
export function createArgs(
  spec: Omit<RunSpec, "command" | "entrypoint">,
  confinement: Confinement,
  name?: string,
): string[] {
  return [
    "create",
    ...nameArgs(name),
    ...containerOptions({ ...spec, command: [], entrypoint: PROGRAM_PATH }, confinement),
  ];
}

function nameArgs(name: string | undefined): string[] {
  return name ? [`--name=${name}`] : [];
}

function containerOptions(spec: RunSpec, confinement: Confinement): string[] {
  return [
    "--network=none",
    "--pull=never",
    ...privilegeArgs(spec, confinement),
    ...(spec.platform ? [`--platform=${spec.platform}`] : []),
    ...(spec.entrypoint !== undefined ? [`--entrypoint=${spec.entrypoint}`] : []),
    // The image is never read as an option, whatever it starts with.
    "--",
    spec.image,
    ...spec.command,
  ];
}

/** argv of `build` of a context folder with its Dockerfile. */
export function buildArgs(contextDir: string, tags: readonly string[]): string[] {
  return ["build", ...tags.flatMap((tag) => ["--tag", tag]), "--", contextDir];
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

/** QUS_ENGINE_UNREACHABLE naming the endpoint and what failed. */
export function unreachable(endpoint: string, detail: string, hint: string): QusError {
  return new QusError(
    "QUS_ENGINE_UNREACHABLE",
    `cannot reach the container engine at ${endpoint}: ${oneLine(detail)}`,
    {
      hint,
    },
  );
}

/** One line of text, never empty, at most 300 characters: what an error message says after its colon. */
function oneLine(detail: string): string {
  const line = detail.trim().split("\n").filter(Boolean).join(" ").replace(/\s+/g, " ");
  return line.length > 300 ? `${line.slice(0, 300)}...` : line || "no error message";
}

/** The start of a text, quoted, for a message about output qus cannot read. */
export function excerpt(text: string): string {
  return text.trim() ? JSON.stringify(text.trim().slice(0, 120)) : "nothing";
}

/** Info output that is not what the client should print: the machine's client is broken or not the engine's. */
export function unreadableInfo(name: string, text: string): QusError {
  return new QusError("QUS_ENGINE_UNREACHABLE", `${name} info printed what qus cannot read: ${excerpt(text)}`, {
    hint: `check that \`${name}\` is the ${name} client (${name} version)`,
  });
}

/** Parses a JSON object, or throws {@link unreadableInfo}. */
export function parseInfoObject<T extends object>(name: string, json: string): Partial<T> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw unreadableInfo(name, json);
  }
  if (value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw unreadableInfo(name, json);
  return value as Partial<T>;
}

/**
 * What a container command that failed said, for a message: the last lines of its error output, or how it ended
 * when it printed nothing. Never empty.
 */
export function describeRunFailure(result: ExecResult): string {
  const text = (result.stderr.trim() || result.stdout.trim())
    .split("\n")
    .map((line) => line.trim())
    // The CLI's usage reminder after an error says nothing about the error.
    .filter((line) => line && !/^Run '.*--help' for more information$/.test(line));
  const lines = text.slice(-3).join(" ");
  if (lines) return oneLine(lines);
  if (result.timedOut) return "it did not finish in time and was stopped";
  if (result.signal) return `it was killed by ${result.signal}`;
  if (result.startError) return `it could not be started (${result.startError})`;
  return `it exited with status ${result.exitCode ?? "unknown"} and printed nothing`;
}

/** A {@link ContainerRunner} on a docker-like CLI, as {@link CliEngine} describes it. */
export function createCliRunner(engine: CliEngine, options: CliRunnerOptions = {}): ContainerRunner {
  const exec = options.exec ?? execProcess;
  const { name, program, target, endpoint } = engine;
  if (target !== undefined && target.value.trim() === "") {
    throw new QusError("QUS_USAGE", `the ${target.noun} name is empty`, {
      hint: `name one that ${formatCommand(target.list)} lists, or leave --context out for the default`,
    });
  }
  const global = target !== undefined ? [target.option, target.value] : [];
  const engineTimeoutMs = options.engineTimeoutMs ?? engineTimeoutFromEnv() ?? DEFAULT_ENGINE_TIMEOUT_MS;
  const runTimeoutMs = options.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const pullTimeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
  const buildTimeoutMs = options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS;
  const register = options.onInterrupt ?? onInterrupt;
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  const line = (args: readonly string[]) => formatCommand([name, ...global, ...args]);
  const what = (args: readonly string[]) => `\`${formatCommand([name, ...args])}\``;
  let facts: Promise<EngineFacts> | undefined;

  async function command(args: readonly string[], timeoutMs: number, doing: string): Promise<ExecResult> {
    const result = await exec(program, [...global, ...args], { timeoutMs });
    if (result.startError === "ENOENT") {
      throw new QusError("QUS_ENGINE_UNREACHABLE", `the ${name} client (${program}) is not installed`, {
        hint: engine.hints.install,
      });
    }
    if (result.startError) {
      throw new QusError("QUS_EXEC_FAILED", `could not start the ${name} client (${program}): ${result.startError}`);
    }
    const failure = engine.endpointFailure(result, doing);
    if (failure) throw failure;
    return result;
  }

  /** A call the engine answers at once: not answering in time means the engine is not answering. */
  async function engineCall(args: readonly string[]): Promise<ExecResult> {
    const doing = what(args.slice(0, args[0] === "image" ? 2 : 1));
    const result = await command(args, engineTimeoutMs, doing);
    if (result.timedOut) {
      throw unreachable(
        endpoint,
        `${doing} did not answer within ${seconds(engineTimeoutMs)}`,
        `check that the engine answers (${line(["info"])}); for a slow remote engine allow more time, for example ${ENGINE_TIMEOUT_ENV}=60`,
      );
    }
    return result;
  }

  async function queryFacts(): Promise<EngineFacts> {
    const result = await engineCall(engine.infoArgs);
    if (!result.stdout.trim().startsWith("{")) {
      if (result.exitCode === 0) throw unreadableInfo(name, result.stdout);
      throw unreachable(endpoint, `${what(["info"])} failed: ${describeRunFailure(result)}`, engine.hints.unreachable);
    }
    return engine.parseInfo(result.stdout, endpoint);
  }

  /** The engine's facts, asked once per runner (a failed ask is asked again). */
  function engineFacts(): Promise<EngineFacts> {
    facts ??= queryFacts().catch((error: unknown) => {
      facts = undefined;
      throw error;
    });
    return facts;
  }

  /** The confinement to lift: asked of the engine only when the spec needs a mount with least privilege. */
  async function confinementFor(spec: Pick<RunSpec, "needsBinfmtMount" | "privilege">): Promise<Confinement> {
    if (spec.privilege === "full" || !spec.needsBinfmtMount) return { apparmor: false, selinux: false };
    return (await engineFacts()).confinement;
  }

  /** Removes a container by name, best effort: it may be gone already, or the engine may not answer. */
  async function removeContainer(container: string): Promise<void> {
    try {
      await command(["rm", "--force", "--", container], engineTimeoutMs, what(["rm"]));
    } catch {
      // Nothing more can be done from here; --rm removes a helper that ends by itself.
    }
  }

  /** Runs `body` with the container's removal registered for an interruption of qus. */
  async function withContainer<T>(container: string, body: () => Promise<T>): Promise<T> {
    const unregister = register(() => {
      spawnSync(program, [...global, "rm", "--force", "--", container], { stdio: "ignore", timeout: 10_000 });
    });
    try {
      return await body();
    } finally {
      unregister();
    }
  }

  return {
    name,
    endpoint,
    info: async () => (await engineFacts()).info,
    describePrivilege: describeCliPrivilege,
    async imageLabels(image) {
      const result = await engineCall(["image", "inspect", "--format", "{{json .Config.Labels}}", "--", image]);
      if (result.exitCode !== 0) {
        if (engine.noSuchImage.test(result.stderr)) return undefined;
        throw new QusError(
          "QUS_EXEC_FAILED",
          `could not inspect the image ${image} on the engine at ${endpoint}: ${describeRunFailure(result)}`,
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
          `${name} image inspect printed labels qus cannot read for ${image}: ${excerpt(result.stdout)}`,
        );
      }
      return Object.fromEntries(Object.entries(labels as object).map(([key, value]) => [key, String(value)]));
    },
    async run(spec) {
      const container = helperContainerName();
      const args = runArgs(spec, await confinementFor(spec), container);
      return withContainer(container, async () => {
        const result = await command(args, spec.timeoutMs ?? runTimeoutMs, what(["run"]));
        // Stopped on time, killed, or the engine failed after creating it: --rm may not have happened.
        if (result.exitCode !== 0) await removeContainer(container);
        return result;
      });
    },
    async runProgram(spec, bytes) {
      const container = helperContainerName();
      const confinement = await confinementFor(spec);
      return withContainer(container, async () => {
        const dir = mkdtempSync(join(tmpdir(), "qus-program-"));
        try {
          const created = await engineCall(createArgs(spec, confinement, container));
          if (created.exitCode !== 0) return created;
          const file = join(dir, "program");
          writeFileSync(file, bytes);
          chmodSync(file, 0o755);
          // cp streams through the engine's API, so this works with a remote engine too.
          const copied = await engineCall(["cp", file, `${container}:${PROGRAM_PATH}`]);
          if (copied.exitCode !== 0) return copied;
          return await command(["start", "--attach", "--", container], spec.timeoutMs ?? runTimeoutMs, what(["start"]));
        } finally {
          rmSync(dir, { recursive: true, force: true });
          await removeContainer(container);
        }
      });
    },
    async pull(image) {
      const result = await command(["pull", "--quiet", "--", image], pullTimeoutMs, what(["pull"]));
      return result.exitCode === 0 && !result.timedOut;
    },
    async buildImage(spec) {
      const args = buildArgs(spec.contextDir, spec.tags);
      const timeoutMs = spec.timeoutMs ?? buildTimeoutMs;
      const result = await command(args, timeoutMs, what(["build"]));
      if (result.timedOut) {
        throw new QusError("QUS_TIMEOUT", `${line(args)} did not finish within ${seconds(timeoutMs)}`, {
          hint: engine.hints.buildTimeout,
        });
      }
      if (result.exitCode !== 0) {
        throw new QusError(
          "QUS_IMAGE_BUILD_FAILED",
          `${name} build of ${spec.tags[0] ?? spec.contextDir} on the engine at ${endpoint} failed: ${describeRunFailure(result)}`,
          { hint: "check that the engine is running and has room for the image" },
        );
      }
    },
  };
}
