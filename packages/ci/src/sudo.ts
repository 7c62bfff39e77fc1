import { userInfo } from "node:os";
import { type Exec, formatCommand, QusError, type Report } from "@qus/core";

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
        hint: "run the job as root, allow its user passwordless sudo, or set driver: docker to set up the kernel of the Docker engine instead",
      },
    );
  }
  if (result.timedOut) {
    throw new QusError("QUS_TIMEOUT", `${command} did not finish within ${SUDO_TIMEOUT_MS / 1000} s and was stopped`);
  }
  const json = result.stdout.trim();
  if (json.startsWith("{")) return JSON.parse(json) as Report;
  throw cliError(result.stderr, command, result.exitCode);
}

/** The CLI's error (`qus: error CODE: message` and `hint: ...`), as the QusError it was. */
function cliError(stderr: string, command: string, exitCode: number | undefined): QusError {
  const found = /qus: error (QUS_[A-Z_]+): (.*)/.exec(stderr);
  const hint = /^hint: (.*)$/m.exec(stderr)?.[1];
  if (found?.[1] && found[2]) {
    return new QusError(found[1] as QusError["code"], found[2], hint ? { hint } : {});
  }
  return new QusError(
    "QUS_EXEC_FAILED",
    `${command} failed (status ${exitCode ?? "unknown"}): ${stderr.trim() || "it printed nothing"}`,
  );
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? "unknown"}`;
  }
}
