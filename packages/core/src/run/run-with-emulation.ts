import { validateQemuPath } from "../drivers/local/interpreters.js";
import { QusError } from "../errors.js";
import { parseQemuSource } from "../qemu/source.js";
import { emulationEntries, hasSubordinateIds, interpreterDirs } from "./emulation-entries.js";
import { type ForegroundEnd, runForeground, type StdioTarget } from "./foreground-process.js";
import { probeMountPoint } from "./probe-mount.js";
import { type CommandProblem, commandProblem, shellStatus } from "./run-status.js";
import { PROBE_SECONDS, parseScriptLine, type ScriptEvent, scriptArguments } from "./setup-script.js";
import { namespacePlan } from "./unshare-argv.js";
import { readUserNamespaceFacts, unshareFailed, userNamespaceRefusal } from "./userns-refusal.js";

/** The programs the set-up runs, each with the Debian package that has it. */
const REQUIRED_TOOLS = [
  ["unshare", "util-linux"],
  ["setpriv", "util-linux"],
  ["timeout", "coreutils"],
] as const;

/** Options of {@link runWithEmulation}. */
export interface RunWithEmulationOptions {
  /** Platforms to emulate (`linux/arm64,riscv64`, `all`), as the other operations take them. */
  readonly platforms: string | readonly string[];
  /** The command and its arguments, run in the namespace. */
  readonly command: readonly string[];
  /** The folder holding qemu-<cpu>(-static); PATH and the distributions' folders by default. */
  readonly qemuPath?: string;
  /** Take QEMU from a source (`debian:trixie`), fetched into qus's cache when missing. Excludes `qemuPath`. */
  readonly qemuFrom?: string;
  /**
   * Run the command as root of the namespace (with the user's subordinate ids mapped too, when there are any), as
   * chroot-style tools (mmdebstrap --mode=unshare) need; by default it runs as the user's own uid and gid.
   */
  readonly mapRoot?: boolean;
  /** The command's stdin, stdout and stderr: qus's own by default. */
  readonly stdio?: readonly [StdioTarget, StdioTarget, StdioTarget];
  readonly env?: NodeJS.ProcessEnv;
}

/** What {@link runWithEmulation} would run: its dry run. */
export interface RunPlan {
  /** The whole argv: unshare, the setup script, its data, the command. */
  readonly argv: readonly string[];
  /** The binfmt_misc entries made in the private table. */
  readonly entries: readonly string[];
  /** Whom the command runs as in the namespace. */
  readonly runsAs: "root" | "self";
  /** The command cannot be started (126: not executable, 127: not found): nothing would run. */
  readonly problem?: CommandProblem;
}

/** How the command ended: its status (128 + N for signal N), or qus's words when it could not be started. */
export interface RunOutcome {
  readonly status: number;
  readonly signal?: NodeJS.Signals;
  /** Why the command was not started (status 126 or 127). */
  readonly problem?: string;
  /** Entries registered and proven, and cpus found native, before the command started. */
  readonly ready: readonly string[];
}

/**
 * Checks everything that needs no process and plans the run: refusals (QUS_USERNS_UNAVAILABLE, exit 3), the
 * interpreters, the registrations and probes, unshare's argv. Throws a QusError; nothing is changed.
 */
export async function planRun(options: RunWithEmulationOptions): Promise<RunPlan> {
  const [command] = options.command;
  if (command === undefined || command === "")
    throw new QusError("QUS_USAGE", "qus run needs a command", { hint: "qus run --platforms arm64 -- CMD [ARG...]" });
  if (options.qemuPath !== undefined && options.qemuFrom !== undefined)
    throw new QusError("QUS_USAGE", "--qemu-path and --qemu-from exclude each other", { hint: "give one of them" });
  if (options.qemuPath !== undefined) validateQemuPath(options.qemuPath);
  if (options.qemuFrom !== undefined) parseQemuSource(options.qemuFrom);
  const refusal = userNamespaceRefusal(readUserNamespaceFacts());
  if (refusal) throw refusal;
  const path = options.env?.PATH ?? process.env.PATH;
  for (const [tool, pkg] of REQUIRED_TOOLS)
    if (commandProblem(tool, path) !== undefined)
      throw new QusError("QUS_USERNS_UNAVAILABLE", `qus run needs ${tool} (${pkg}), and none is on PATH`, {
        hint: `install ${pkg} (Debian: apt-get install ${pkg})`,
      });
  const entries = emulationEntries(options.platforms, interpreterDirs(await qemuFolder(options)));
  const uid = process.getuid?.() ?? 0;
  const facts = { uid, gid: process.getgid?.() ?? 0, subordinateIds: uid !== 0 && hasSubordinateIds() };
  const plan = namespacePlan(facts, options.mapRoot === true);
  const probes = probeMountPoint(entries.map((entry) => entry.interpreter));
  return {
    argv: [...plan.argv, ...scriptArguments(plan.identity, probes, entries, options.command)],
    entries: entries.map((entry) => entry.name),
    runsAs: plan.identity === "root" ? "root" : "self",
    problem: commandProblem(command, path),
  };
}

async function qemuFolder(options: RunWithEmulationOptions): Promise<string | undefined> {
  if (options.qemuFrom === undefined) return options.qemuPath;
  // Loaded only for --qemu-from: the fetcher is most of qus's QEMU code.
  const { fetchQemu } = await import("../qemu/fetch.js");
  return (await fetchQemu({ source: options.qemuFrom, env: options.env })).folder;
}

/**
 * Runs a command with foreign-architecture emulation and no root: in a new user and mount namespace, a binfmt_misc
 * of its own gets each platform registered with F and proven by its probe, then the command runs there with its
 * stdin, stdout, stderr and signals passed through. The host's binfmt_misc table is never touched, and nothing
 * is left behind (the namespace and its mounts end with the command). Needs Linux 6.7 or later.
 *
 * Resolves to the command's status; throws a QusError when qus failed before it ran (see {@link RUN_STATUS}).
 */
export async function runWithEmulation(options: RunWithEmulationOptions): Promise<RunOutcome> {
  const plan = await planRun(options);
  if (plan.problem) return { status: plan.problem.status, problem: plan.problem.message, ready: [] };
  const end = await runForeground(plan.argv, options.stdio, options.env);
  return outcomeOf(end, plan);
}

/** Reads how a run ended: the command's status once the script said `exec`, else qus's failure as a QusError. */
export function outcomeOf(end: ForegroundEnd, plan: Pick<RunPlan, "entries">): RunOutcome {
  const events = end.lines.map(parseScriptLine).filter((event): event is ScriptEvent => event !== undefined);
  const ready = events.flatMap((event) => (event.kind === "ready" || event.kind === "native" ? [event.name] : []));
  const status = shellStatus(end.code, end.signal);
  if (events.some((event) => event.kind === "exec"))
    return { status, ...(end.signal ? { signal: end.signal } : {}), ready };
  const failed = events.find((event) => event.kind === "fail");
  if (failed?.kind === "fail") throw setupFailure(failed, plan.entries);
  if (end.startError !== undefined)
    throw new QusError("QUS_USERNS_UNAVAILABLE", `qus run could not start unshare: ${end.startError}`, {
      hint: "install util-linux (Debian: apt-get install util-linux)",
    });
  // Interrupted while setting up: that is the user's doing, reported as a shell would.
  if (end.signal) return { status, signal: end.signal, ready };
  throw unshareFailed(status);
}

function setupFailure(event: Extract<ScriptEvent, { kind: "fail" }>, entries: readonly string[]): QusError {
  const [name, status] = event.detail;
  if (event.step === "mount" && name === "binfmt_misc")
    return new QusError("QUS_USERNS_UNAVAILABLE", "qus run could not mount a binfmt_misc of its own (see above)", {
      hint: "this needs Linux 6.7 or later with binfmt_misc, and a user namespace allowed its capabilities (AppArmor's kernel.apparmor_restrict_unprivileged_userns=0); or, with root: sudo qus ensure --platforms LIST",
    });
  if (event.step === "register")
    return new QusError("QUS_KERNEL_WRITE_FAILED", `qus run could not register ${name} in its binfmt_misc`, {
      hint: `check the interpreter it names (qus run --dry-run shows the registrations: ${entries.join(", ")})`,
    });
  if (event.step === "probe" && status === "timeout")
    return new QusError(
      "QUS_TIMEOUT",
      `qus run registered ${name}, but its probe had not ended after ${PROBE_SECONDS} s: the emulator hangs`,
      { hint: "try another QEMU (--qemu-from debian:trixie, or --qemu-path DIR)" },
    );
  if (event.step === "probe")
    return new QusError(
      "QUS_PLATFORM_NOT_RUNNABLE",
      `qus run registered ${name}, but its probe did not run there (status ${status})`,
      { hint: "the interpreter does not run this platform's programs: try another QEMU (--qemu-from debian:trixie)" },
    );
  return new QusError("QUS_EXEC_FAILED", `qus run could not set up its namespace: ${event.step} ${name ?? ""}`, {
    hint: "its message is above",
  });
}
