import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { QusError, type Report, renderJson, renderJunit, renderMarkdown, renderTable } from "@qus/core";
import { installInterruptHandlers, renderErrorJson, renderErrorText, shouldColor } from "@qus/core/toolkit";
import { type Command, POSITIONALS, type Values } from "./command.js";
import { COMMANDS } from "./commands.js";
import { exitCodeForEndpoints, renderEndpoints } from "./endpoints.js";
import { EXIT, exitCodeForFailure, exitCodeForReport } from "./exit-codes.js";
import { commandHelp, mainHelp } from "./help.js";
import { terminalJson, terminalText } from "./terminal.js";

declare const QUS_VERSION: string | undefined;
const VERSION = typeof QUS_VERSION === "string" ? QUS_VERSION : "0.0.0-dev";

/** The folder of the @qus/cli package this code runs from (its bundle is `<package>/dist/qus.js`). */
function installedAt(): string {
  return fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
}

/** Where `main` writes; process streams by default. */
export interface Io {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

const processIo: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env };

/** The command's name and its arguments: two-word commands (`image build`, `k8s manifest`) by their first two words. */
function commandName(argv: readonly string[]): [string | undefined, readonly string[]] {
  const [first, ...others] = argv;
  return ["image", "qemu", "k8s", "vm"].includes(first ?? "") && others[0] && !others[0].startsWith("-")
    ? [`${first} ${others[0]}`, others.slice(1)]
    : [first, others];
}

/** `qus help COMMAND`: the command's own help, as `qus COMMAND --help` prints it. */
function helpOn(words: readonly string[], io: Io): number {
  const [name] = commandName(words);
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command) {
    io.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const group = COMMANDS.filter((candidate) => candidate.name.startsWith(`${name} `)).map((c) => c.name);
  const error = new QusError("QUS_USAGE", `qus help: no command ${JSON.stringify(words.join(" "))}`, {
    hint: group.length > 0 ? `name one of: ${group.join(", ")}` : "qus --help lists the commands",
  });
  io.stderr.write(terminalText(`${renderErrorText(error)}\n`));
  return EXIT.usage;
}

/** Runs `qus` with its arguments (without node and script) and returns the exit code. The one top-level handler. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, rest] = commandName(argv);
  if (name === "help" && rest.length > 0) return helpOn(rest, io);
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(mainHelp(COMMANDS, VERSION));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v") {
    // The version, then where this qus runs from: which of several installs a PATH or npx picked.
    io.stdout.write(`${VERSION} (${installedAt()})\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  try {
    if (!command) {
      throw new QusError("QUS_USAGE", `unknown command ${JSON.stringify(name)}`, {
        hint: `use one of: ${COMMANDS.map((c) => c.name).join(", ")} (qus --help)`,
      });
    }
    const values = parseCommandArgs(command, rest);
    if (values.help === true) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    const output = await command.run(values);
    const junitFile = typeof values.junit === "string" ? values.junit : undefined;
    const junitReport = "report" in output ? output.report : "junit" in output ? output.junit : undefined;
    if (junitFile !== undefined && junitReport !== undefined) writeJunit(junitFile, junitReport);
    if ("endpoints" in output) {
      const format = { json: values.json === true, markdown: values.markdown === true };
      io.stdout.write(renderEndpoints(output.endpoints, { ...format, color: shouldColor(io.stdout, io.env) }));
      return exitCodeForEndpoints(output.endpoints);
    }
    if (!("report" in output)) {
      // What other programs said (buildx's, an engine's) is in there: shown escaped, never obeyed.
      io.stdout.write(
        values.json === true ? terminalJson(`${JSON.stringify(output.json, null, 2)}\n`) : terminalText(output.text),
      );
      return output.exitCode ?? EXIT.ok;
    }
    io.stdout.write(render(output.report, values, io));
    return exitCodeForReport(output.report);
  } catch (error) {
    const exitCode = exitCodeForFailure(error, command?.passesStatusThrough);
    // Core's one renderer, on stderr as text; its message and hint often quote another program: shown escaped.
    io.stderr.write(terminalText(`${renderErrorText(error)}\n`));
    // Options after `--` are the command's (vm run DISK -- prog --json), not qus's.
    const options = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
    // With --json, on stdout as JSON too, so a script reading stdout never gets plain text: the same code, kind,
    // message and hint, and the exit code.
    if (options.includes("--json")) io.stdout.write(terminalJson(renderErrorJson(error, exitCode)));
    return exitCode;
  }
}

/** `--junit FILE`: the report as JUnit XML; a file that cannot be written fails the command. */
function writeJunit(file: string, report: Report): void {
  try {
    writeFileSync(file, renderJunit(report));
  } catch (error) {
    throw new QusError("QUS_PERSIST_FAILED", `cannot write the JUnit file ${file}: ${(error as Error).message}`, {
      hint: "give --junit a path in a folder that exists and is writable",
      cause: error,
    });
  }
}

function parseCommandArgs(command: Command, args: readonly string[]): Values {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: command.commandFollows ? endOptionsAtCommand(command, args) : [...args],
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: command.positionals !== undefined,
      tokens: true,
    });
  } catch (error) {
    throw new QusError("QUS_USAGE", `qus ${command.name}: ${(error as Error).message}`, {
      hint: `usage: ${command.usage}`,
      cause: error,
    });
  }
  rejectRepeats(command, parsed.tokens ?? []);
  const values: Values = { ...(parsed.values as Values) };
  if (command.positionals !== undefined) values[POSITIONALS] = [...parsed.positionals];
  // Lists add up: --platforms arm64 --platforms riscv64 is arm64,riscv64.
  if (Array.isArray(values.platforms)) values.platforms = values.platforms.join(",");
  if (values.help === true) return values;
  if (command.needsPlatforms && !values.platforms) {
    throw new QusError("QUS_USAGE", `qus ${command.name} needs --platforms`, { hint: `usage: ${command.usage}` });
  }
  if (values.junit === "") {
    throw new QusError("QUS_USAGE", `qus ${command.name}: --junit needs a file name`, {
      hint: `usage: ${command.usage}`,
    });
  }
  if (values.json === true && values.markdown === true) {
    throw new QusError("QUS_USAGE", "--json and --markdown exclude each other", { hint: "choose one output format" });
  }
  return values;
}

/** `args` with `--` before the first argument that is neither an option nor an option's value (if none is there). */
function endOptionsAtCommand(command: Command, args: readonly string[]): string[] {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") return [...args.slice(0, i), "--", ...args.slice(i)];
    // `--name value`: the value is the option's, not the command.
    if (arg.startsWith("--") && !arg.includes("=") && command.options[arg.slice(2)]?.type === "string") i++;
  }
  return [...args];
}

/** An option given twice that does not add up is an error, never one of the two values silently dropped. */
function rejectRepeats(command: Command, tokens: readonly { kind: string; name?: string }[]): void {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined) continue;
    const spec = command.options[token.name];
    if (seen.has(token.name) && !spec?.multiple) {
      throw new QusError("QUS_USAGE", `qus ${command.name}: --${token.name} was given more than once`, {
        hint: `give --${token.name} once (usage: ${command.usage})`,
      });
    }
    seen.add(token.name);
  }
}

function render(report: Report, values: Values, io: Io): string {
  if (values.json === true) return terminalJson(renderJson(report));
  const files = (report.files ?? []).map((file) =>
    report.dryRun ? `# ${file.path}\n${file.content}` : `wrote ${file.path}\n`,
  );
  const body =
    values.markdown === true ? renderMarkdown(report) : renderTable(report, { color: shouldColor(io.stdout, io.env) });
  return body + files.join("");
}

/** On SIGINT, SIGTERM or SIGHUP: stop what qus started, clean up, and exit 128 + the signal's number. */
export const installSignalHandlers = installInterruptHandlers;
