import { type Exec, type ExecOptions, execProcess, runSyncBestEffort, type SyncRunResult } from "../exec.js";
import { formatCommand } from "../shell-quote.js";
import { type EngineApi, localEngineApi } from "./engine-api.js";
import { type EngineOutcome, outcomeOf } from "./engine-outcome.js";

export { type EngineOutcome, outcomeOf } from "./engine-outcome.js";

/** The engines whose clients qus runs. */
export type EngineKind = "docker" | "podman";

/** Where an {@link EngineCommand} goes and how it runs. */
export interface EngineCommandOptions {
  /** `docker` by default. */
  readonly engine?: EngineKind;
  /** The client to run; the engine's name on PATH by default. */
  readonly program?: string;
  /** `docker --context NAME` (podman: `--connection NAME`). */
  readonly context?: string;
  /** `docker --host URL`: an engine address (unix://, tcp://, ssh://). */
  readonly host?: string;
  /** How processes run (core's {@link execProcess} by default). */
  readonly exec?: Exec;
}

/** The one client of an engine every package runs docker, podman and buildx through: argv arrays, bounded calls. */
export interface EngineCommand {
  readonly engine: EngineKind;
  readonly program: string;
  /** The global options that point the client at its engine (`--context NAME`), or none. */
  readonly global: readonly string[];
  readonly exec: Exec;
  /** Runs `PROGRAM GLOBAL ARGS`; never throws for how it ended (see {@link EngineOutcome}). */
  run(args: readonly string[], options: ExecOptions & { readonly timeoutMs: number }): Promise<EngineOutcome>;
  /** As {@link run}, synchronously and best effort: only for clean-up when qus is interrupted. */
  runSync(args: readonly string[], options?: { readonly timeoutMs?: number }): SyncRunResult;
  /** `PROGRAM GLOBAL buildx ARGS`, as {@link run}: a missing plugin is `refused` with `buildx-missing`. */
  buildx(args: readonly string[], options: ExecOptions & { readonly timeoutMs: number }): Promise<EngineOutcome>;
  /** `PROGRAM GLOBAL buildx ARGS`, as {@link runSync}. */
  buildxSync(args: readonly string[], options?: { readonly timeoutMs?: number }): SyncRunResult;
  /**
   * The engine's info as JSON, asked once for this client and every one {@link withExec} made of it: an answer
   * with exit status 0 is kept, any other is asked again next time.
   */
  info(timeoutMs: number): Promise<EngineOutcome>;
  /** An image's labels as JSON (`null` when it has none), in `docker image inspect --format '{{json .Config.Labels}}'`'s shape. */
  imageLabels(image: string, timeoutMs: number): Promise<EngineOutcome>;
  /** The command line of `PROGRAM GLOBAL ARGS`, quoted for a POSIX shell: for hints and messages. */
  display(args: readonly string[]): string;
  /** As {@link display}, of `PROGRAM GLOBAL buildx ARGS`. */
  displayBuildx(args: readonly string[]): string;
  /** The same client, running its processes through `exec`, sharing its answer to {@link info}. */
  withExec(exec: Exec): EngineCommand;
}

/** The subcommand that prints each engine's info as JSON. */
export const ENGINE_INFO_ARGS: Readonly<Record<EngineKind, readonly string[]>> = {
  docker: ["info", "--format", "{{json .}}"],
  podman: ["info", "--format", "json"],
};

/** The global options of a client pointed at `context` or `host` (neither: the client's own default). */
export function engineGlobal(engine: EngineKind, target: Pick<EngineCommandOptions, "context" | "host">): string[] {
  if (target.context !== undefined) return [engine === "podman" ? "--connection" : "--context", target.context];
  if (target.host !== undefined) return [engine === "podman" ? "--url" : "--host", target.host];
  return [];
}

/** The {@link EngineCommand} of an engine pointed at a context or host. */
export function engineCommand(options: EngineCommandOptions = {}): EngineCommand {
  const engine = options.engine ?? "docker";
  return createEngineCommand({
    engine,
    program: options.program ?? engine,
    global: engineGlobal(engine, options),
    exec: options.exec ?? execProcess,
  });
}

/** An {@link EngineCommand} from its parts (a CLI runner's client, which knows its own global options). */
export function createEngineCommand(parts: {
  readonly engine: EngineKind;
  readonly program: string;
  readonly global: readonly string[];
  readonly exec: Exec;
  readonly infoArgs?: readonly string[];
}): EngineCommand {
  return build({ ...parts, infoArgs: parts.infoArgs ?? ENGINE_INFO_ARGS[parts.engine] }, {});
}

interface Parts {
  readonly engine: EngineKind;
  readonly program: string;
  readonly global: readonly string[];
  readonly exec: Exec;
  readonly infoArgs: readonly string[];
}

function build(parts: Parts, answer: { current?: Promise<EngineOutcome> }): EngineCommand {
  const { engine, program, global, exec, infoArgs } = parts;
  const run = async (args: readonly string[], options: ExecOptions & { readonly timeoutMs: number }) =>
    outcomeOf(await exec(program, [...global, ...args], options));
  // Only where processes run for real: a caller that passes its own exec sees every call go through it.
  const api: EngineApi | undefined = exec === execProcess ? localEngineApi(engine, global) : undefined;
  const ask = async (
    viaApi: (() => Promise<EngineOutcome | undefined>) | undefined,
    args: readonly string[],
    timeoutMs: number,
  ) => (await viaApi?.()) ?? run(args, { timeoutMs });
  return {
    engine,
    program,
    global,
    exec,
    run,
    runSync: (args, options) => runSyncBestEffort(program, [...global, ...args], options),
    buildx: (args, options) => run(["buildx", ...args], options),
    buildxSync: (args, options) => runSyncBestEffort(program, [...global, "buildx", ...args], options),
    info(timeoutMs) {
      answer.current ??= ask(api && (() => api.info(timeoutMs)), infoArgs, timeoutMs).then((outcome) => {
        if (outcome.kind !== "ran" || outcome.result.exitCode !== 0) answer.current = undefined;
        return outcome;
      });
      return answer.current;
    },
    imageLabels: (image, timeoutMs) =>
      ask(
        api && (() => api.imageLabels(image, timeoutMs)),
        ["image", "inspect", "--format", "{{json .Config.Labels}}", "--", image],
        timeoutMs,
      ),
    display: (args) => formatCommand([program, ...global, ...args]),
    displayBuildx: (args) => formatCommand([program, ...global, "buildx", ...args]),
    withExec: (other) => build({ ...parts, exec: other }, answer),
  };
}
