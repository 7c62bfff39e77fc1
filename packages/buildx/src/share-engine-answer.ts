import type { Exec, ExecResult } from "@qus/core/runner";
import { INFO_ARGS } from "./engine.js";

/**
 * An exec that keeps the engine's answer to `docker [--context C] info --format '{{json .}}'` (the engine check's)
 * and gives it again to the same command later in the run (core's container runner asks it before the binfmt
 * helper runs): the engine is asked once. Only a successful answer is kept.
 */
export function shareEngineAnswer(exec: Exec): { exec: Exec } {
  const answers = new Map<string, ExecResult>();
  const isInfo = (args: readonly string[]) => {
    const global = args.length === INFO_ARGS.length + 2 && args[0] === "--context" ? 2 : 0;
    return args.length === INFO_ARGS.length + global && INFO_ARGS.every((arg, i) => args[global + i] === arg);
  };
  return {
    exec: async (file, args, execOptions) => {
      const key = JSON.stringify([file, ...args]);
      const kept = isInfo(args) ? answers.get(key) : undefined;
      if (kept) return kept;
      const result = await exec(file, args, execOptions);
      if (isInfo(args) && result.exitCode === 0 && !result.timedOut && !result.startError) answers.set(key, result);
      return result;
    },
  };
}
