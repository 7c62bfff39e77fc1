import { QusError } from "@qus/core";
import { quoteInput } from "@qus/core/toolkit";

// YAML 1.2's core schema, as both runners document their boolean inputs.
const TRUE = new Set(["true", "True", "TRUE"]);
const FALSE = new Set(["false", "False", "FALSE"]);

/** A boolean input as YAML writes it; false when absent. Throws QUS_USAGE naming the input for anything else. */
export function booleanInput(name: string, value: string | undefined): boolean {
  if (value === undefined || FALSE.has(value)) return false;
  if (TRUE.has(value)) return true;
  throw new QusError("QUS_USAGE", `the input ${name} is ${quoteInput(value)}: it takes true or false`, {
    hint: `write ${name}: true or ${name}: false`,
  });
}

/** A newline separated list input (as setup-buildx-action's `driver-opts`): its non-empty lines, trimmed. */
export function lines(value: string | undefined): string[] {
  return (value ?? "")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** Refuses an input an earlier version took, naming the one that replaced it. */
export function refuseRetired(read: (name: string) => string | undefined, retired: Readonly<Record<string, string>>) {
  for (const [old, current] of Object.entries(retired)) {
    if (read(old)?.trim()) {
      throw new QusError(
        "QUS_USAGE",
        `the input ${old} is gone: it is ${current} now, as setup-buildx-action names it`,
        {
          hint: `write ${current}: ${quoteInput(read(old)?.trim() ?? "")} instead of ${old}`,
        },
      );
    }
  }
}
