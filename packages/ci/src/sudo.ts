import { userInfo } from "node:os";
import { QusError, type Report } from "@qus/core";
import type { Exec } from "@qus/core/runner";
import { errorFromDocument, formatCommand } from "@qus/core/toolkit";

/** How long the qus CLI may take under sudo: its own probes and writes are bounded well below this. */
const SUDO_TIMEOUT_MS = 180_000;

/**
 * Runs the qus CLI as root through `sudo -n` (never prompting: a CI job has no terminal) and reads its JSON report.
 * Throws QUS_NOT_ROOT with what to do when sudo will not run it without a password; the CLI's own errors come
 * back with their code.
 */
export async function runQusAsRoot(exec: Exec, cliPath: string, args: readonly string[]): Promise<Report> {
  const argv = ["-n", "--", process.execPath, cliPath, ...args];
  const result = await exec("sudo", argv, { timeoutMs: SUDO_TIMEOUT_MS });
  const command = formatCommand(["sudo", ...argv]);
  if (result.startError === "ENOENT" || /^sudo: /m.test(result.stderr)) {
    const why = result.startError === "ENOENT" ? "sudo is not installed" : result.stderr.trim().split("\n")[0];
    throw new QusError(
      "QUS_NOT_ROOT",
      `setting up binfmt_misc on this machine needs root: this job runs as ${userName()}, and ${command} did not run (${why})`,
      {
        hint: "run the job as root, allow its user passwordless sudo, or set kernel: docker to set up the kernel behind the Docker engine instead",
      },
    );
  }
  if (result.timedOut) {
    throw new QusError("QUS_TIMEOUT", `${command} did not finish within ${SUDO_TIMEOUT_MS / 1000} s and was stopped`);
  }
  const printed = parsedJson(result.stdout);
  // With --json the CLI prints its report, or the error that ended it, as JSON: read back as data by the module
  // that writes it, never from its words on stderr.
  const cliError = errorFromDocument(printed);
  if (cliError) throw cliError;
  if (printed && typeof printed === "object") return printed as Report;
  throw new QusError(
    "QUS_EXEC_FAILED",
    `${command} failed (status ${result.exitCode ?? "unknown"}): ${result.stderr.trim() || "it printed nothing"}`,
  );
}

function parsedJson(text: string): unknown {
  try {
    return text.trim().startsWith("{") ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? "unknown"}`;
  }
}
