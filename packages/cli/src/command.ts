import type { Report } from "@qus/core";
import type { EndpointOutcome } from "./endpoints.js";

/** One option of a command, as node:util parseArgs takes it, with its help line. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly help: string;
  readonly value?: string;
}

/** Values a command receives after parsing. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** What a command produced: a report to render, or text of its own. */
export type CommandOutput =
  | { readonly report: Report }
  | { readonly endpoints: readonly EndpointOutcome[] }
  | { readonly text: string; readonly json: unknown; readonly exitCode?: number; readonly junit?: Report };

/** One `qus` command. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: Record<string, OptionSpec>;
  readonly needsPlatforms: boolean;
  /** Arguments that are not options (`qus explain FILE...`), named in help; they arrive as `values[POSITIONALS]`. */
  readonly positionals?: string;
  /**
   * The positionals are a command with its own arguments (`qus run`): the first one ends qus's options, as in
   * `docker run IMAGE CMD -x`, so `qus run --platforms arm64 ./prog -v` passes `-v` to the program.
   */
  readonly commandFollows?: boolean;
  /**
   * The command passes another program's status through (`vm run`): qus's own failures exit 125, as `docker run`
   * keeps 125 for its own, so the program's 1 to 3 is never read as qus's (exit-codes.ts `passedThroughExitCode`).
   */
  readonly passesStatusThrough?: boolean;
  run(values: Values): Promise<CommandOutput>;
}

/** The key of {@link Values} that holds a command's positional arguments (no option can be named so). */
export const POSITIONALS = "--";
