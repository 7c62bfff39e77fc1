import { EXIT_CODES, isQusError } from "@qus/core";
import { formatCommand, planRun, renderErrorText, runWithEmulation } from "@qus/core/toolkit";
import type { Command, OptionSpec, Values } from "../command.js";
import { POSITIONALS } from "../command.js";
import { dryRun, platforms, qemuFrom, qemuOf, qemuPath } from "../common-options.js";
import { terminalText } from "../terminal.js";
import { flag } from "../values.js";

const root: OptionSpec = {
  type: "boolean",
  help: "run as root of the namespace, the user's subordinate ids mapped too (mmdebstrap --mode=unshare, chroots); default: as yourself",
};
const OPTIONS = { platforms, "qemu-path": qemuPath, "qemu-from": qemuFrom, root, "dry-run": dryRun };
const STATUS_HELP = "exit: the command's status (128+N for signal N); 125 qus failed, 126 cannot run, 127 not found";
const USAGE = {
  run: "qus run --platforms LIST [--qemu-path DIR | --qemu-from SOURCE] [--root] [--dry-run] -- CMD [ARG...]",
  shell: "qus shell --platforms LIST [--qemu-path DIR | --qemu-from SOURCE] [--root] [--dry-run]",
};

/** Runs a command in a private binfmt_misc; only QUS_USERNS_UNAVAILABLE is the machine's (exit 3), as promised. */
async function runIn(values: Values, command: readonly string[]) {
  const options = {
    platforms: String(values.platforms ?? ""),
    command,
    ...qemuOf(values),
    mapRoot: flag(values, "root"),
  };
  try {
    if (flag(values, "dry-run")) {
      const plan = await planRun(options);
      const who = plan.runsAs === "root" ? "root of the namespace" : "yourself";
      const lines = [
        `would register ${plan.entries.join(", ") || "nothing (native)"} with F in a binfmt_misc of its own, prove each, then run as ${who}:`,
        `  ${formatCommand(command)}`,
        ...(plan.problem ? [`but it cannot: ${plan.problem.message} (exit ${plan.problem.status})`] : []),
      ];
      return { text: `${lines.join("\n")}\n`, json: plan, exitCode: plan.problem?.status ?? EXIT_CODES.ok };
    }
    const outcome = await runWithEmulation(options);
    if (outcome.problem) process.stderr.write(terminalText(`qus run: ${outcome.problem}\n`));
    return { text: "", json: outcome, exitCode: outcome.status };
  } catch (error) {
    if (!isQusError(error) || error.code !== "QUS_USERNS_UNAVAILABLE") throw error;
    process.stderr.write(terminalText(`${renderErrorText(error)}\n`));
    return { text: "", json: undefined, exitCode: EXIT_CODES.environment };
  }
}

/** `qus run` and `qus shell`: foreign programs without root, in a user namespace with a binfmt_misc of its own. */
export const RUN_COMMANDS: readonly Command[] = [
  {
    name: "run",
    summary: `run a command with emulation and no root, in a binfmt_misc of its own (Linux 6.7+; ${STATUS_HELP})`,
    usage: USAGE.run,
    positionals: "-- CMD [ARG...]",
    commandFollows: true,
    passesStatusThrough: true,
    options: OPTIONS,
    needsPlatforms: true,
    run: (values) => runIn(values, (values[POSITIONALS] as string[] | undefined) ?? []),
  },
  {
    name: "shell",
    summary: `an interactive $SHELL (else /bin/sh) with emulation and no root, as qus run (${STATUS_HELP})`,
    usage: USAGE.shell,
    passesStatusThrough: true,
    options: OPTIONS,
    needsPlatforms: true,
    run: (values) => runIn(values, [process.env.SHELL || "/bin/sh"]),
  },
];
