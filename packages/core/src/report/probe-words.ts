import type { InterpreterFile, ProbeFailureKind } from "../drivers/types.js";
import { formatCommand } from "../shell-quote.js";

/** What is known around a failed probe: the words depend on the entry that claimed it and its interpreter. */
export interface FailureContext {
  readonly failure: ProbeFailureKind;
  readonly detail?: string;
  readonly chrooted?: boolean;
  /** Canonical platform, for the commands in hints. */
  readonly platform?: string;
  /** The entry that claims the architecture, if any, with its flags as the kernel shows them. */
  readonly entry?: {
    readonly name: string;
    readonly interpreter: string;
    readonly flags: string;
    readonly enabled: boolean;
  };
  /** What the entry's interpreter file is, where the driver could tell. */
  readonly interpreterFile?: InterpreterFile;
  /** First line of the interpreter's `--version`, when known: a crash names the QEMU build that crashed. */
  readonly qemuVersion?: string;
}

/** `7.2.22` from `qemu-aarch64 version 7.2.22 (Debian ...)`. */
function shortVersion(line: string | undefined): string | undefined {
  return line ? /version (\S+)/.exec(line)?.[1] : undefined;
}

/** Another QEMU to try than the one that failed: the next Debian suite's. */
export function otherQemuSource(qemuVersion: string | undefined): string {
  const major = Number(shortVersion(qemuVersion)?.split(".")[0]);
  return Number.isFinite(major) && major >= 10 ? (major >= 11 ? "debian:trixie" : "debian:sid") : "debian:trixie";
}

/** The one sentence that says how a probe failed. The only place probe failures become words. */
export function describeFailure(context: FailureContext): string {
  const { failure, detail, entry } = context;
  const interpreter = entry?.interpreter ? ` (${entry.interpreter})` : "";
  switch (failure) {
    case "timeout":
      return `timed out: the emulator hung${interpreter}`;
    case "crashed":
      return `killed by ${detail ?? "a signal"}: the emulator crashed${interpreter}`;
    case "no-handler":
      if (!entry?.enabled) return "exec format error: no binfmt_misc handler claims this architecture";
      if (context.interpreterFile === "script")
        return `exec format error: the interpreter ${entry.interpreter} of ${entry.name} is a script, whose own interpreter (#!) is not there inside containers and chroots`;
      if (context.interpreterFile === "foreign")
        return `exec format error: the interpreter ${entry.interpreter} of ${entry.name} is not a program this machine can run`;
      return `exec format error although ${entry.name} claims this architecture: its interpreter ${entry.interpreter} could not run the program`;
    case "interpreter-unreachable":
      if (context.interpreterFile === "missing" && entry && !entry.flags.includes("F"))
        return `ENOENT: the interpreter ${entry.interpreter} of ${entry.name} does not exist, and without the F flag the kernel opens it at each exec`;
      if (context.chrooted === false)
        return `runs only outside containers: ${entry?.name ?? "the entry"} has no F flag, so its interpreter is not reachable inside containers and chroots`;
      if (entry?.flags.includes("F")) {
        if (context.interpreterFile === "dynamic")
          return `ENOENT: the interpreter ${entry.interpreter} is dynamically linked: with the F flag the kernel opens it, but its loader and libraries are not inside containers and chroots`;
        return `ENOENT: the interpreter ${entry.interpreter} could not be loaded inside a chroot${detail ? `: ${detail}` : ""}`;
      }
      if (entry)
        return `ENOENT: the interpreter ${entry.interpreter} is not reachable inside a chroot: ${entry.name} has no F flag`;
      return "ENOENT: the interpreter is not reachable inside a chroot (an entry without the F flag, or a dynamically linked interpreter)";
    case "exit-status":
      return `the probe ${detail?.startsWith("could not start") ? detail : `exited with ${detail ?? "a failure"}`}`;
  }
}

/**
 * Who the hints speak for: the tool whose commands they name. qus's CLI by default; an adapter names itself (the
 * Dagger module: `this module's`) and says whether its ensure can pick another QEMU (`--qemu-from`).
 */
export interface HintVoice {
  /** What precedes a command's words: `qus` (then `qus ensure ...`), `this module's` (`this module's ensure ...`). */
  readonly call: string;
  /** Its ensure takes `--qemu-from SOURCE`, so a hint may suggest another QEMU build. */
  readonly picksQemu: boolean;
}

/** qus's own CLI. */
export const QUS_VOICE: HintVoice = { call: "qus", picksQemu: true };

/** A qus command as the voice names it, its words quoted for a shell. */
export function commandIn(voice: HintVoice, args: readonly string[]): string {
  return `${voice.call} ${formatCommand(args)}`;
}

/** What the user can do about a failed probe, with commands safe to paste, in the words of the calling tool. */
export function failureHint(context: FailureContext, voice: HintVoice = QUS_VOICE): string {
  const platform = context.platform ?? "PLATFORM";
  const replace = commandIn(voice, ["ensure", "--replace", "--platforms", platform]);
  const register = commandIn(voice, ["ensure", "--platforms", platform]);
  const short = shortVersion(context.qemuVersion);
  const version = short ? ` (QEMU ${short})` : "";
  const tryOther = voice.picksQemu
    ? `try another QEMU, e.g. ${commandIn(voice, ["ensure", "--replace", "--platforms", platform, "--qemu-from", otherQemuSource(context.qemuVersion)])}`
    : `replace it: ${replace}`;
  switch (context.failure) {
    case "timeout":
      return `this emulator${version} hangs, and BuildKit's own platform check in dockerd hangs on it too: ${tryOther}`;
    case "crashed":
      return `this QEMU build${version} cannot run the probe: ${tryOther}`;
    case "no-handler":
      if (context.entry && !context.entry.enabled) return `enable it: ${register}`;
      if (!context.entry) return `register it: ${register}`;
      return `use QEMU's static emulator (apt-get install qemu-user-static), then ${replace}`;
    case "interpreter-unreachable":
      if (context.entry?.flags.includes("F"))
        return `use QEMU's static emulator (apt-get install qemu-user-static), then ${replace}`;
      if (context.interpreterFile === "missing")
        return `reinstall its interpreter ${context.entry?.interpreter ?? ""} (apt-get install qemu-user-static), or re-register it with the F flag: ${replace}`;
      return `re-register it with the F flag: ${replace}`;
    case "exit-status":
      // A noexec TMPDIR is where qus itself runs probes; another tool's probes run elsewhere.
      return voice.call === QUS_VOICE.call
        ? "check that qus may run programs in its temporary folder (a noexec TMPDIR fails), then run qus verify again"
        : `the probe did not run to its end: ${commandIn(voice, ["status", "--platforms", platform])} shows the entry that claims it`;
  }
}
