import { parseArgs } from "node:util";
import { isQusError, QusError, type Report, renderJson, renderMarkdown, renderTable, shouldColor } from "@qus/core";
import { COMMANDS, type Command, type Values } from "./commands.js";
import { EXIT, exitCodeForError, exitCodeForReport } from "./exit-codes.js";
import { commandHelp, mainHelp } from "./help.js";

declare const QUS_VERSION: string | undefined;
const VERSION = typeof QUS_VERSION === "string" ? QUS_VERSION : "0.0.0-dev";

/** Where `main` writes; process streams by default. */
export interface Io {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

const processIo: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env };

/** Runs `qus` with its arguments (without node and script) and returns the exit code. The one top-level handler. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  // Two-word commands (`image build`) are named by their first two words.
  const [first, ...others] = argv;
  const [name, rest] =
    first === "image" && others[0] && !others[0].startsWith("-")
      ? [`image ${others[0]}`, others.slice(1)]
      : [first, others];
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(mainHelp(COMMANDS, VERSION));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  try {
    const command = COMMANDS.find((candidate) => candidate.name === name);
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
    if (!("report" in output)) {
      io.stdout.write(values.json === true ? `${JSON.stringify(output.json, null, 2)}\n` : output.text);
      return output.exitCode ?? EXIT.ok;
    }
    io.stdout.write(render(output.report, values, io));
    return exitCodeForReport(output.report);
  } catch (error) {
    io.stderr.write(describeError(error));
    return exitCodeForError(error);
  }
}

function parseCommandArgs(command: Command, args: readonly string[]): Values {
  let values: Values;
  try {
    values = parseArgs({
      args: [...args],
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }).values as Values;
  } catch (error) {
    throw new QusError("QUS_USAGE", `qus ${command.name}: ${(error as Error).message}`, {
      hint: `usage: ${command.usage}`,
      cause: error,
    });
  }
  if (values.help === true) return values;
  if (command.needsPlatforms && !values.platforms) {
    throw new QusError("QUS_USAGE", `qus ${command.name} needs --platforms`, { hint: `usage: ${command.usage}` });
  }
  if (values.json === true && values.markdown === true) {
    throw new QusError("QUS_USAGE", "--json and --markdown exclude each other", { hint: "choose one output format" });
  }
  return values;
}

function render(report: Report, values: Values, io: Io): string {
  if (values.json === true) return renderJson(report);
  const files = (report.files ?? []).map((file) =>
    report.dryRun ? `# ${file.path}\n${file.content}` : `wrote ${file.path}\n`,
  );
  const body =
    values.markdown === true ? renderMarkdown(report) : renderTable(report, { color: shouldColor(io.stdout, io.env) });
  return body + files.join("");
}

function describeError(error: unknown): string {
  if (isQusError(error)) {
    return `qus: error ${error.code}: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `qus: unexpected error: ${detail}\n`;
}
