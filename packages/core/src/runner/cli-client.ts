import { onInterrupt } from "../cleanup.js";
import { QusError } from "../errors.js";
import type { ExecResult } from "../exec.js";
import { execProcess } from "../exec.js";
import { formatCommand } from "../shell-quote.js";
import type { CliEngine, Confinement, EngineFacts } from "./cli-engine.js";
import { describeRunFailure, unreachable, unreadableInfo } from "./cli-output.js";
import {
  type CliRunnerOptions,
  DEFAULT_BUILD_TIMEOUT_MS,
  DEFAULT_ENGINE_TIMEOUT_MS,
  DEFAULT_PULL_TIMEOUT_MS,
  DEFAULT_RUN_TIMEOUT_MS,
  ENGINE_TIMEOUT_ENV,
  engineTimeoutFromEnv,
} from "./cli-runner-options.js";
import { createEngineCommand, type EngineCommand, type EngineOutcome } from "./engine-command.js";
import type { RunSpec } from "./types.js";

/** One docker-like client pointed at one engine, with its bounds: what every call of a CLI runner shares. */
export interface CliClient {
  readonly engine: CliEngine;
  /**
   * The engine seam every call goes through (its global options point it at the engine: `--context NAME`); shared
   * with other packages' calls when the options gave one.
   */
  readonly command: EngineCommand;
  readonly timeouts: { readonly engine: number; readonly run: number; readonly pull: number; readonly build: number };
  /** Registers a clean-up for an interruption of qus; returns its unregistration. */
  readonly register: (cleanup: () => void) => () => void;
  /** The engine's facts, once asked (a failed ask is forgotten, to be asked again). */
  readonly facts: { current?: Promise<EngineFacts> };
}

/** The client for a {@link CliEngine} with its options' defaults; QUS_USAGE when its target names nothing. */
export function createCliClient(engine: CliEngine, options: CliRunnerOptions): CliClient {
  const exec = options.exec ?? execProcess;
  const { target } = engine;
  if (target !== undefined && target.value.trim() === "") {
    throw new QusError("QUS_USAGE", `the ${target.noun} name is empty`, {
      hint: `name one that ${formatCommand(target.list)} lists, or leave --context out for the default`,
    });
  }
  const global = target !== undefined ? [target.option, target.value] : [];
  const command =
    options.command ??
    createEngineCommand({
      engine: engine.name === "podman" ? "podman" : "docker",
      program: engine.program,
      global,
      exec,
      infoArgs: engine.infoArgs,
    });
  return {
    engine,
    command,
    timeouts: {
      engine: options.engineTimeoutMs ?? engineTimeoutFromEnv() ?? DEFAULT_ENGINE_TIMEOUT_MS,
      run: options.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
      pull: options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS,
      build: options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
    },
    register: options.onInterrupt ?? onInterrupt,
    facts: {},
  };
}

/** A duration for a message: `1.5 s`. */
export function inSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The command line the client runs, with its global options, quoted: for hints. */
export function commandLine(client: CliClient, args: readonly string[]): string {
  return formatCommand([client.engine.name, ...client.command.global, ...args]);
}

/** A command as messages name it: `` `docker run` ``. */
export function commandWords(client: CliClient, args: readonly string[]): string {
  return `\`${formatCommand([client.engine.name, ...args])}\``;
}

/** Runs the client; throws when it cannot start or the engine as a whole fails (`doing` names the command). */
export async function cliCommand(
  client: CliClient,
  args: readonly string[],
  timeoutMs: number,
  doing: string,
): Promise<ExecResult> {
  return judged(client, await client.command.run(args, { timeoutMs }), doing);
}

/** The result of an outcome; throws when the client could not start or the engine as a whole failed. */
function judged(client: CliClient, outcome: EngineOutcome, doing: string): ExecResult {
  const { engine } = client;
  const { name, program } = engine;
  if (outcome.kind === "not-installed") {
    throw new QusError("QUS_ENGINE_UNREACHABLE", `the ${name} client (${program}) is not installed`, {
      hint: engine.hints.install,
    });
  }
  if (outcome.kind === "could-not-start") {
    throw new QusError("QUS_EXEC_FAILED", `could not start the ${name} client (${program}): ${outcome.reason}`);
  }
  const failure = engine.endpointFailure(outcome.result, doing);
  if (failure) throw failure;
  return outcome.result;
}

/** A call the engine answers at once: not answering in time means the engine is not answering. */
export async function engineCall(client: CliClient, args: readonly string[]): Promise<ExecResult> {
  const doing = commandWords(client, args.slice(0, args[0] === "image" ? 2 : 1));
  return inTime(client, await cliCommand(client, args, client.timeouts.engine, doing), doing);
}

/** An outcome of a question the engine answers at once (`what` names it: `["image", "inspect"]`), as {@link engineCall}. */
export async function engineAsk(
  client: CliClient,
  outcome: Promise<EngineOutcome>,
  what: readonly string[],
): Promise<ExecResult> {
  const doing = commandWords(client, what);
  return inTime(client, judged(client, await outcome, doing), doing);
}

/** The result of a call the engine answers at once; QUS_ENGINE_UNREACHABLE when it did not answer in time. */
function inTime(client: CliClient, result: ExecResult, doing: string): ExecResult {
  if (result.timedOut) {
    throw unreachable(
      client.engine.endpoint,
      `${doing} did not answer within ${inSeconds(client.timeouts.engine)}`,
      `check that the engine answers (${commandLine(client, ["info"])}); for a slow remote engine allow more time, for example ${ENGINE_TIMEOUT_ENV}=60`,
    );
  }
  return result;
}

async function queryFacts(client: CliClient): Promise<EngineFacts> {
  const { engine } = client;
  // Asked through the seam's own memo, so a client sharing the seam (buildx's engine check) asks the engine once.
  const doing = commandWords(client, engine.infoArgs.slice(0, 1));
  const result = inTime(client, judged(client, await client.command.info(client.timeouts.engine), doing), doing);
  if (!result.stdout.trim().startsWith("{")) {
    if (result.exitCode === 0) throw unreadableInfo(engine.name, result.stdout);
    throw unreachable(
      engine.endpoint,
      `${commandWords(client, ["info"])} failed: ${describeRunFailure(result)}`,
      engine.hints.unreachable,
    );
  }
  return engine.parseInfo(result.stdout, engine.endpoint);
}

/** The engine's facts, asked once per client (a failed ask is asked again). */
export function engineFacts(client: CliClient): Promise<EngineFacts> {
  const { facts } = client;
  facts.current ??= queryFacts(client).catch((error: unknown) => {
    facts.current = undefined;
    throw error;
  });
  return facts.current;
}

/** The confinement to lift: asked of the engine only when the spec needs a mount with least privilege. */
export async function confinementFor(
  client: CliClient,
  spec: Pick<RunSpec, "needsBinfmtMount" | "privilege">,
): Promise<Confinement> {
  if (spec.privilege === "full" || !spec.needsBinfmtMount) return { apparmor: false, selinux: false };
  return (await engineFacts(client)).confinement;
}

/** Removes a container by name, best effort: it may be gone already, or the engine may not answer. */
export async function removeContainer(client: CliClient, container: string): Promise<void> {
  try {
    await cliCommand(client, ["rm", "--force", "--", container], client.timeouts.engine, commandWords(client, ["rm"]));
  } catch {
    // Nothing more can be done from here; --rm removes a helper that ends by itself.
  }
}

/** Runs `body` with the container's removal registered for an interruption of qus. */
export async function withContainer<T>(client: CliClient, container: string, body: () => Promise<T>): Promise<T> {
  const unregister = client.register(() => {
    client.command.runSync(["rm", "--force", "--", container], { timeoutMs: 10_000 });
  });
  try {
    return await body();
  } finally {
    unregister();
  }
}
