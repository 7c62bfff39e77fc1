import { QusError } from "../../errors.js";
import { describeOutcome, howStopped, stoppedFromOutside } from "../../runner/outcome.js";
import type { ContainerRunner, EngineInfo, Privilege } from "../../runner/types.js";
import { interpreterBase, type QemuCpu, requireTarget } from "../../targets.js";
import { markerArg } from "./helper-args.js";
import { HELPER_SCRIPT } from "./helper-script.js";
import { type HelperReport, parseHelperOutput } from "./protocol.js";

/** How long one probe (or one `qemu --version`) may run in the helper before it counts as hung. */
export const DEFAULT_PROBE_TIMEOUT_MS = 20_000;

/** Options of {@link createHelperDriver}. */
export interface HelperDriverOptions {
  /** true: full privilege from the start; false: least privilege only; unset: escalate when least fails. */
  readonly privileged?: boolean;
  readonly probeTimeoutMs?: number;
  /** The user named the image (`--image`): an image that cannot serve is then bad input, not the engine's state. */
  readonly explicitImage?: boolean;
}

/** One helper run's end: its report, or why the engine or the kernel refused the privilege it ran with. */
type Attempt = { readonly report: HelperReport } | { readonly refused: string };

/** What every pass of one helper driver shares: the image, the engine, the bounds, and what earlier passes learned. */
export interface HelperSession {
  readonly runner: ContainerRunner;
  readonly image: string;
  readonly engine: EngineInfo;
  readonly options: HelperDriverOptions;
  /** QEMU's version, as the image's label names it. */
  readonly version: string | undefined;
  /** How long each probe in the helper may run, in whole seconds. */
  readonly probeSeconds: number;
  /** How long one helper container may run. */
  readonly runTimeoutMs: number;
  /** The arguments every run of the helper starts with, after the marker. */
  readonly fixed: readonly string[];
  /** What reports show of the driver: image, endpoint, QEMU version, privilege. */
  readonly details: Record<string, string>;
  /** The privilege the helper runs with: least until the engine refuses it, unless the options fix it. */
  privilege: Privilege;
  /** The engine's own ELF header, as the first helper run reported it. */
  hostHeader: Uint8Array | undefined;
  // Compat modes of the engine (i386 on x86_64) that a run showed foreign: the only ones qus may register.
  readonly provenForeign: Set<QemuCpu>;
}

/** A session of the helper driver on `image`, whose labels may name QEMU's version. */
export function createHelperSession(
  runner: ContainerRunner,
  image: string,
  engine: EngineInfo,
  labels: Readonly<Record<string, string>>,
  options: HelperDriverOptions,
): HelperSession {
  const details: Record<string, string> = { image, endpoint: engine.endpoint };
  const version = labels["org.qus.qemu.version"];
  if (version) details.qemuVersion = version;
  const probeSeconds = Math.max(1, Math.ceil((options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS) / 1000));
  return {
    runner,
    image,
    engine,
    options,
    version,
    probeSeconds,
    // The helper's probes and version reads run in parallel, each killed at probeSeconds, so it ends within about
    // that; the rest is the container's start and the engine's pace. Past this the engine itself is stuck.
    runTimeoutMs: 2 * probeSeconds * 1000 + 60_000,
    // The image's label names QEMU's version: no need to run every emulator for it.
    fixed: [`timeout=${probeSeconds}`, ...(version ? ["noversion=1"] : [])],
    details,
    privilege: options.privileged ? "full" : "least",
    hostHeader: undefined,
    provenForeign: new Set<QemuCpu>(),
  };
}

/**
 * One pass of the helper with `args`, escalating to full privilege once when least is refused (and the options
 * leave it open); every cpu in `probed` must have a probe result.
 */
export async function runHelper(
  session: HelperSession,
  args: readonly string[],
  probed: readonly QemuCpu[],
): Promise<HelperReport> {
  const { runner, image, engine } = session;
  const privilegedOption = session.options.privileged;
  const least = runner.describePrivilege("least");
  const full = runner.describePrivilege("full");
  const all = [markerArg(engine), ...session.fixed, ...args];
  let attempt = await runOnce(session, all, session.privilege);
  if ("refused" in attempt && session.privilege === "least" && privilegedOption === undefined) {
    // Least privilege was not enough (a confined engine): try once more with full privilege.
    const leastPrivilege = attempt.refused;
    session.privilege = "full";
    attempt = await runOnce(session, all, session.privilege);
    if ("refused" in attempt) {
      throw new QusError(
        "QUS_PRIVILEGE_DENIED",
        `the engine at ${engine.endpoint} refused both ways of reaching binfmt_misc: with ${least}, ${leastPrivilege}; with ${full}, ${attempt.refused}`,
        {
          hint: `allow this engine's containers ${least} (or ${full}), or run qus ensure --driver local on the engine's host as root`,
        },
      );
    }
  }
  if ("refused" in attempt) {
    throw session.privilege === "full"
      ? new QusError(
          "QUS_PRIVILEGE_DENIED",
          `the engine at ${engine.endpoint} refused the ${full} helper container: ${attempt.refused}`,
          {
            hint: `drop --privileged: qus needs only ${least}, and tries ${full} by itself when that is not enough`,
          },
        )
      : new QusError(
          "QUS_PRIVILEGE_DENIED",
          `with ${least}, the helper container could not reach binfmt_misc: ${attempt.refused}`,
          { hint: `allow ${full} for it (leave privileged unset and qus tries it when needed)` },
        );
  }
  const report = attempt.report;
  const unreported = probed.filter((cpu) => !report.probes.has(cpu));
  if (unreported.length > 0) {
    throw new QusError(
      "QUS_EXEC_FAILED",
      `the helper container (${image}) ended without a result for the probe of ${unreported.join(", ")}`,
      { hint: "run it again; if it keeps failing, rebuild the image with qus image build" },
    );
  }
  session.details.privilege = runner.describePrivilege(session.privilege);
  session.hostHeader ??= report.hostHeader;
  return report;
}

async function runOnce(session: HelperSession, args: readonly string[], level: Privilege): Promise<Attempt> {
  const { runner, image, engine, runTimeoutMs, probeSeconds } = session;
  const tool = runner.name;
  const outcome = await runner.run({
    image,
    entrypoint: "/bin/busybox",
    command: ["sh", "-c", HELPER_SCRIPT, "qus-helper", ...args],
    needsBinfmtMount: true,
    privilege: level,
    timeoutMs: runTimeoutMs,
  });
  const where = `the helper container (${image}) on the engine at ${engine.endpoint}`;
  if (outcome.kind === "timed-out") {
    throw new QusError(
      "QUS_TIMEOUT",
      `${where} did not finish within ${Math.round(runTimeoutMs / 1000)} s, though each probe in it is stopped after ${probeSeconds} s: it was stopped and removed`,
      { hint: `the engine is stuck or overloaded: check it (${tool} info, ${tool} ps), then run qus again` },
    );
  }
  if (outcome.kind === "ran") {
    const report = parseHelperOutput(outcome.stdout);
    if (report.mountError) return mountFailure(engine, report.mountError);
    if (report.fatal) throw unusableImage(session, `its busybox cannot run the helper: ${report.fatal}`);
    if (report.complete) return { report };
  }
  const detail = describeOutcome(outcome);
  if (outcome.kind === "not-started" && outcome.reason === "refused") {
    return { refused: `the engine would not start it: ${detail}` };
  }
  if (outcome.kind === "not-started" && outcome.reason === "not-found") {
    throw unusableImage(session, `it cannot run /bin/busybox: ${detail}`);
  }
  if (stoppedFromOutside(outcome)) {
    throw new QusError(
      "QUS_EXEC_FAILED",
      `${where} was stopped before it finished (${howStopped(outcome)}: killed by ${tool} kill, ${tool} stop, ${tool} rm --force or the out-of-memory killer)`,
      { hint: "run qus again; do not stop qus-helper-* containers while it runs" },
    );
  }
  throw new QusError("QUS_EXEC_FAILED", `${where} failed before it finished: ${detail}`, {
    hint: "run qus again; if it keeps failing, rebuild the image with qus image build",
  });
}

/** The helper could not mount binfmt_misc: a kernel without it, or a refusal of the privilege it ran with. */
function mountFailure(engine: EngineInfo, mountError: string): Attempt {
  if (/no such device|unknown filesystem type/i.test(mountError)) {
    throw new QusError(
      "QUS_NO_BINFMT_MISC",
      `the kernel behind the engine at ${engine.endpoint} has no binfmt_misc: ${mountError}`,
      { hint: "load the module on the engine's host (modprobe binfmt_misc), or use an engine whose kernel has it" },
    );
  }
  return { refused: `mounting binfmt_misc failed: ${mountError}` };
}

function unusableImage(session: HelperSession, why: string): QusError {
  const { image, options } = session;
  const message = `the image ${image} is not a working qus installer: ${why}`;
  const hint = "build qus's installer with qus image build";
  return options.explicitImage
    ? new QusError("QUS_USAGE", message, { hint: `${hint} and leave --image out, or pass a tonistiigi/binfmt image` })
    : new QusError("QUS_IMAGE_MISSING", message, { hint });
}

/** The emulators' versions: as the helper read them, or each named from the image's label. */
export function versionsOf(session: HelperSession, report: HelperReport): ReadonlyMap<string, string> {
  const { version } = session;
  if (!version) return report.versions;
  // The label is one emulator's first line (`qemu-aarch64 version 7.2.22 (...)`): name each one's own.
  return new Map(
    [...report.interpreters].map(([cpu, path]) => [
      path,
      version.replace(/^qemu-\S+/, interpreterBase(requireTarget(cpu))),
    ]),
  );
}
