import type { BinfmtEntry } from "../../binfmt/entry.js";
import { QusError } from "../../errors.js";
import { buildProbe } from "../../probe/index.js";
import { describeOutcome, howStopped, stoppedFromOutside } from "../../runner/outcome.js";
import type { ContainerOutcome, ContainerRunner, EngineInfo, RunSpec } from "../../runner/types.js";
import type { QemuCpu } from "../../targets.js";
import { describeProbeRun } from "../probe-verdict.js";
import type { ProbeResult } from "../types.js";
import { parseTonistiigiStatus } from "./tonistiigi.js";

/** Options of {@link createTonistiigiDriver}. */
export interface TonistiigiDriverOptions {
  /** Full privilege instead of least (this mode does not escalate by itself). */
  readonly privileged: boolean;
  /** How long one probe may run before it counts as hung. */
  readonly probeTimeoutMs: number;
}

/** Bound of one run of binfmt's CLI: it writes a few files in binfmt_misc and prints. */
const BINFMT_TIMEOUT_MS = 60_000;
/** A probe's container also has to start: this much on top of the probe's own bound. */
const CONTAINER_START_MS = 10_000;

/** What every operation of one tonistiigi/binfmt driver shares: the image, the engine, and what runs learned. */
export interface TonistiigiSession {
  readonly runner: ContainerRunner;
  readonly image: string;
  readonly engine: EngineInfo;
  readonly options: TonistiigiDriverOptions;
  /** The spec of a run of binfmt's CLI, which mounts binfmt_misc. */
  readonly spec: Omit<RunSpec, "command" | "entrypoint">;
  /** The spec of a probe's container, which only runs a program. */
  readonly probeSpec: Omit<RunSpec, "command" | "entrypoint">;
  /** What reports show of the driver: image, endpoint, privilege, installer. */
  readonly details: {
    readonly image: string;
    readonly endpoint: string;
    readonly privilege: string;
    readonly installer: string;
  };
  // Compat modes of the engine that a run showed foreign: the only ones qus may install.
  readonly provenForeign: Set<QemuCpu>;
}

/** A session of the tonistiigi/binfmt driver on `image`. */
export function createTonistiigiSession(
  runner: ContainerRunner,
  image: string,
  engine: EngineInfo,
  options: TonistiigiDriverOptions,
): TonistiigiSession {
  const privilege = options.privileged ? "full" : "least";
  return {
    runner,
    image,
    engine,
    options,
    // binfmt's CLI mounts binfmt_misc; the probes only run a program.
    spec: { image, needsBinfmtMount: true, privilege },
    probeSpec: { image, needsBinfmtMount: false, privilege },
    details: {
      image,
      endpoint: engine.endpoint,
      privilege: runner.describePrivilege(privilege),
      installer: "tonistiigi/binfmt",
    },
    provenForeign: new Set<QemuCpu>(),
  };
}

/** binfmt's CLI with a command, on the engine, in words for messages. */
function where(session: TonistiigiSession, command: readonly string[]): string {
  const { image, engine } = session;
  return `tonistiigi/binfmt (${image}${command.length ? ` ${command.join(" ")}` : ""}) on the engine at ${engine.endpoint}`;
}

/** A run of binfmt's CLI that ended by itself with its own status (0, or 1 for its own failures). */
export type BinfmtRun = Extract<ContainerOutcome, { kind: "ran" }>;

/** One run of binfmt's CLI. Its own failures are in its output; the engine's and the container's end here. */
export async function runBinfmt(session: TonistiigiSession, command: readonly string[]): Promise<BinfmtRun> {
  const { runner, spec, details } = session;
  const { privileged } = session.options;
  const tool = runner.name;
  const least = runner.describePrivilege("least");
  const outcome = await runner.run({ ...spec, command, timeoutMs: BINFMT_TIMEOUT_MS });
  if (outcome.kind === "timed-out") {
    throw new QusError(
      "QUS_TIMEOUT",
      `${where(session, command)} did not finish within ${BINFMT_TIMEOUT_MS / 1000} s: it was stopped and removed`,
      { hint: `the engine is stuck or overloaded: check it (${tool} info, ${tool} ps), then run qus again` },
    );
  }
  if (outcome.kind === "ran" && (outcome.exitCode === 0 || outcome.exitCode === 1)) return outcome;
  const detail = describeOutcome(outcome);
  if (outcome.kind === "not-started" && outcome.reason === "refused") {
    throw new QusError(
      "QUS_PRIVILEGE_DENIED",
      `the engine refused to start ${where(session, command)} with ${details.privilege}: ${detail}`,
      {
        hint: privileged
          ? `drop --privileged: ${least} is enough where the engine allows it`
          : "pass --privileged, or build qus's own installer (qus image build), which tries both",
      },
    );
  }
  if (stoppedFromOutside(outcome)) {
    throw new QusError(
      "QUS_EXEC_FAILED",
      `${where(session, command)} was stopped before it finished (${howStopped(outcome)}: killed by ${tool} kill, ${tool} stop, ${tool} rm --force or the out-of-memory killer)`,
      { hint: "run qus again; do not stop qus-helper-* containers while it runs" },
    );
  }
  throw new QusError("QUS_EXEC_FAILED", `could not run ${where(session, command)}: ${detail}`, {
    hint: `check the image (${tool} image inspect), or build qus's own installer: qus image build`,
  });
}

/** The entries binfmt's status lists: names only, opaque otherwise. */
export async function readStatus(session: TonistiigiSession): Promise<BinfmtEntry[]> {
  const result = await runBinfmt(session, []);
  let status: ReturnType<typeof parseTonistiigiStatus>;
  try {
    status = parseTonistiigiStatus(result.stdout);
  } catch (error) {
    throw statusFailure(session, error, `${result.stderr}\n${result.stdout}`);
  }
  return status.emulators.map((name) => ({
    name,
    enabled: true,
    interpreter: "",
    flags: "",
    offset: 0,
    opaque: true,
  }));
}

/** Why binfmt printed no status, named by its cause where its output says it. */
function statusFailure(session: TonistiigiSession, error: unknown, output: string): unknown {
  const { engine, details } = session;
  const { privileged } = session.options;
  const line = output.split("\n").find((candidate) => candidate.startsWith("error: "));
  if (!line) return error;
  const mount = /cannot mount binfmt_misc/i.test(output);
  if (mount && /no such device|unknown filesystem/i.test(line)) {
    return new QusError(
      "QUS_NO_BINFMT_MISC",
      `the kernel behind the engine at ${engine.endpoint} has no binfmt_misc: tonistiigi/binfmt said ${line}`,
      { hint: "load the module on the engine's host (modprobe binfmt_misc), or use an engine whose kernel has it" },
    );
  }
  if (mount && /not permitted|permission denied/i.test(line)) {
    return new QusError(
      "QUS_PRIVILEGE_DENIED",
      `tonistiigi/binfmt could not mount binfmt_misc with ${details.privilege}: ${line}`,
      {
        hint: privileged
          ? "the engine confines even privileged containers: run qus ensure --driver local on its host as root"
          : "pass --privileged, or build qus's own installer (qus image build), which tries both",
      },
    );
  }
  return new QusError("QUS_EXEC_FAILED", `tonistiigi/binfmt printed no status: ${line}`);
}

/** Runs qus's probe of each cpu, each as the only process of a container of the image, at once. */
export async function probe(session: TonistiigiSession, cpus: readonly QemuCpu[]): Promise<Map<QemuCpu, ProbeResult>> {
  const { runner, probeSpec, options } = session;
  const results = new Map<QemuCpu, ProbeResult>();
  await Promise.all(
    cpus.map(async (cpu) => {
      const run = await runner.runProgram(
        { ...probeSpec, timeoutMs: options.probeTimeoutMs + CONTAINER_START_MS },
        buildProbe(cpu),
      );
      results.set(cpu, describeProbeRun(run, true));
    }),
  );
  return results;
}
