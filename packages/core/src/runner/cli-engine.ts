import type { QusError } from "../errors.js";
import type { ExecResult } from "../exec.js";
import type { EngineInfo } from "./types.js";

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
