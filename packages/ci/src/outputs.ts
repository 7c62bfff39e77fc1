import { QusError } from "@qus/core";
import { printable } from "@qus/core/toolkit";

/** Where a runner wanted what the step publishes, when that could not be written. */
export interface UnwrittenOutputs {
  /** What could not be written, in words: `the step's outputs`, `the state the post step needs`. */
  readonly what: string;
  /** The environment variable that names the runner's file (`GITHUB_OUTPUT`). */
  readonly variable: string;
  /** The file, as the runner named it; undefined when it named none. */
  readonly file: string | undefined;
  /** The platforms the step verified before. */
  readonly verified: readonly string[];
  readonly cause: unknown;
}

/**
 * The error of a step that set up and verified its platforms but could not hand the runner its results: says both,
 * names the file and why (QUS_OUTPUT_UNWRITABLE), with no stack.
 */
export function outputsUnwritable(unwritten: UnwrittenOutputs): QusError {
  const { what, variable, file, verified, cause } = unwritten;
  const reason = printable(cause instanceof Error ? cause.message : String(cause));
  const done = verified.length > 0 ? `qus verified ${verified.join(", ")}` : "qus verified no platform";
  const where = file ? `${variable} file ${printable(file)}` : `the file ${variable} names (it is not set)`;
  return new QusError("QUS_OUTPUT_UNWRITABLE", `${done}, but could not write ${what} to the ${where}: ${reason}`, {
    hint: `the runner sets ${variable} to a file it created for this step: a step before this one may have removed it, or changed ${variable}`,
    cause,
  });
}
