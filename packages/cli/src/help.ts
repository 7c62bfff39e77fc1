import type { Command } from "./command.js";

/** Top-level help: what qus is and its commands. */
export function mainHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    `qus ${version}: QEMU user-mode emulation in binfmt_misc, set up and proven`,
    "",
    "Usage: qus <command> [options]",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Run `qus <command> --help` for its options.",
    "Exit codes: 0 all platforms ok, 1 some not ok, 2 bad input, 3 the environment cannot do it.",
    "",
  ].join("\n");
}

/** Help of one command: usage and each option. */
export function commandHelp(command: Command): string {
  const names = Object.entries(command.options).map(([name, spec]) => `--${name}${spec.value ? ` ${spec.value}` : ""}`);
  const width = Math.max(...names.map((name) => name.length), "--help".length);
  const lines = Object.values(command.options).map((spec, i) => `  ${(names[i] ?? "").padEnd(width)}  ${spec.help}`);
  return [
    `Usage: ${command.usage}`,
    "",
    command.summary,
    "",
    "Options:",
    ...lines,
    `  ${"--help".padEnd(width)}  show this help`,
    "",
  ].join("\n");
}
