import { type BinfmtEntry, claimantsOf } from "../../binfmt/entry.js";
import { matchesHeader } from "../../binfmt/match.js";
import { renderRegister } from "../../binfmt/register.js";
import { QusError } from "../../errors.js";
import { type Interpreter, type PlanStep, targetPattern } from "../../plan.js";
import { buildExitProgram, buildProbe } from "../../probe/index.js";
import { describeRunFailure } from "../../runner/cli-output.js";
import type { ContainerRunner, EngineInfo, Privilege } from "../../runner/types.js";
import { interpreterBase, type QemuCpu, requireTarget, type Target } from "../../targets.js";
import { judgeNative, mayEmulate, registeredMeanwhile } from "../native-policy.js";
import { describeProbeRun, NO_HANDLER_STATUS } from "../probe-verdict.js";
import type { ApplyOutcome, Driver, Inspection, InspectRequest, ProbeResult, RemoveOutcome } from "../types.js";
import { describeUserNamespace } from "../user-namespace.js";
import { HELPER_SCRIPT } from "./helper-script.js";
import { type HelperOp, type HelperProbe, type HelperReport, parseHelperOutput } from "./protocol.js";

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

/**
 * The container driver's mode for images with busybox and QEMU (qus's own): each pass is one short-lived helper
 * container that mounts binfmt_misc in its own namespace, changes the table and runs the probes chrooted inside
 * the container, where builds run. One container run for a no-op, two for a change.
 */
export function createHelperDriver(
  runner: ContainerRunner,
  image: string,
  engine: EngineInfo,
  labels: Readonly<Record<string, string>>,
  options: HelperDriverOptions = {},
): Driver {
  const privilegedOption = options.privileged;
  let privilege: Privilege = privilegedOption ? "full" : "least";
  const least = runner.describePrivilege("least");
  const full = runner.describePrivilege("full");
  const tool = runner.name;
  let hostHeader: Uint8Array | undefined;
  // Compat modes of the engine (i386 on x86_64) that a run showed foreign: the only ones qus may register.
  const provenForeign = new Set<QemuCpu>();
  const details: Record<string, string> = { image, endpoint: engine.endpoint };
  const version = labels["org.qus.qemu.version"];
  if (version) details.qemuVersion = version;
  const probeSeconds = Math.max(1, Math.ceil((options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS) / 1000));
  // The helper's probes and version reads run in parallel, each killed at probeSeconds, so it ends within about
  // that; the rest is the container's start and the engine's pace. Past this the engine itself is stuck.
  const runTimeoutMs = 2 * probeSeconds * 1000 + 60_000;

  // The image's label names QEMU's version: no need to run every emulator for it.
  const fixed = [`timeout=${probeSeconds}`, ...(version ? ["noversion=1"] : [])];

  async function runHelper(args: readonly string[], probed: readonly QemuCpu[]): Promise<HelperReport> {
    const all = [markerArg(engine), ...fixed, ...args];
    let attempt = await runOnce(all, privilege);
    if ("refused" in attempt && privilege === "least" && privilegedOption === undefined) {
      // Least privilege was not enough (a confined engine): try once more with full privilege.
      const leastPrivilege = attempt.refused;
      privilege = "full";
      attempt = await runOnce(all, privilege);
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
      throw privilege === "full"
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
    details.privilege = runner.describePrivilege(privilege);
    hostHeader ??= report.hostHeader;
    return report;
  }

  async function runOnce(args: readonly string[], level: Privilege): Promise<Attempt> {
    const result = await runner.run({
      image,
      entrypoint: "/bin/busybox",
      command: ["sh", "-c", HELPER_SCRIPT, "qus-helper", ...args],
      needsBinfmtMount: true,
      privilege: level,
      timeoutMs: runTimeoutMs,
    });
    const where = `the helper container (${image}) on the engine at ${engine.endpoint}`;
    if (result.timedOut) {
      throw new QusError(
        "QUS_TIMEOUT",
        `${where} did not finish within ${Math.round(runTimeoutMs / 1000)} s, though each probe in it is stopped after ${probeSeconds} s: it was stopped and removed`,
        { hint: `the engine is stuck or overloaded: check it (${tool} info, ${tool} ps), then run qus again` },
      );
    }
    const report = parseHelperOutput(result.stdout);
    if (report.mountError) {
      if (/no such device|unknown filesystem type/i.test(report.mountError)) {
        throw new QusError(
          "QUS_NO_BINFMT_MISC",
          `the kernel behind the engine at ${engine.endpoint} has no binfmt_misc: ${report.mountError}`,
          { hint: "load the module on the engine's host (modprobe binfmt_misc), or use an engine whose kernel has it" },
        );
      }
      return { refused: `mounting binfmt_misc failed: ${report.mountError}` };
    }
    if (report.fatal) throw unusableImage(`its busybox cannot run the helper: ${report.fatal}`);
    if (report.complete) return { report };
    const detail = describeRunFailure(result);
    const started = result.stdout.trim() !== "";
    if (!started && /unable to apply caps|operation not permitted|authorization denied/i.test(detail)) {
      return { refused: `the engine would not start it: ${detail}` };
    }
    if (!started && /\/bin\/busybox|executable file not found/i.test(detail)) {
      throw unusableImage(`it cannot run /bin/busybox: ${detail}`);
    }
    if (result.signal || result.exitCode === 137 || result.exitCode === 143) {
      throw new QusError(
        "QUS_EXEC_FAILED",
        `${where} was stopped before it finished (status ${result.exitCode ?? result.signal}: killed by ${tool} kill, ${tool} stop, ${tool} rm --force or the out-of-memory killer)`,
        { hint: "run qus again; do not stop qus-helper-* containers while it runs" },
      );
    }
    throw new QusError("QUS_EXEC_FAILED", `${where} failed before it finished: ${detail}`, {
      hint: "run qus again; if it keeps failing, rebuild the image with qus image build",
    });
  }

  function unusableImage(why: string): QusError {
    const message = `the image ${image} is not a working qus installer: ${why}`;
    const hint = "build qus's installer with qus image build";
    return options.explicitImage
      ? new QusError("QUS_USAGE", message, { hint: `${hint} and leave --image out, or pass a tonistiigi/binfmt image` })
      : new QusError("QUS_IMAGE_MISSING", message, { hint });
  }

  function versionsOf(report: HelperReport): ReadonlyMap<string, string> {
    if (!version) return report.versions;
    // The label is one emulator's first line (`qemu-aarch64 version 7.2.22 (...)`): name each one's own.
    return new Map(
      [...report.interpreters].map(([cpu, path]) => [
        path,
        version.replace(/^qemu-\S+/, interpreterBase(requireTarget(cpu))),
      ]),
    );
  }

  return {
    name: runner.name,

    async inspect(request: InspectRequest): Promise<Inspection> {
      const cpus = request.targets.map((target) => target.cpu);
      const report = await runHelper([...cpus.map(interpArg), ...cpus.map(probeArg)], cpus);
      const native = new Map<QemuCpu, string>();
      const hostClaims = new Map<QemuCpu, readonly string[]>();
      const probes = new Map<QemuCpu, ProbeResult>();
      for (const target of request.targets) {
        const run = report.probes.get(target.cpu);
        const claimants = claimantsOf(report.entries, buildProbe(target.cpu)).map((entry) => entry.name);
        if (report.hostHeader && matchesHeader(targetPattern(target), report.hostHeader)) {
          native.set(target.cpu, "the engine's own architecture");
          if (claimants.length > 0) hostClaims.set(target.cpu, claimants);
          continue;
        }
        const result = run && verdict(run);
        const decision = judgeNative(engine.cpu, target.cpu, result, claimants.length > 0);
        if (decision.native) native.set(target.cpu, `${decision.reason ?? "runs natively"} on the engine`);
        if (decision.provenForeign) provenForeign.add(target.cpu);
        if (decision.hostClaimed) hostClaims.set(target.cpu, claimants);
        if (claimants.length > 0 && !decision.native && request.verify && result) probes.set(target.cpu, result);
      }
      const interpreters = new Map<QemuCpu, Interpreter>();
      for (const [cpu, path] of report.interpreters) interpreters.set(cpu as QemuCpu, { path, static: true });
      const userNamespace = describeUserNamespace(report.uidMap);
      return {
        // The helper mounts binfmt_misc in its own mount namespace only: the engine's host is left as it was.
        kernel: { release: report.kernel, binfmtMounted: true, mountedByQus: false, userNamespace },
        entries: report.entries,
        native,
        hostClaims,
        interpreters,
        probes,
        qemuVersions: versionsOf(report),
        warnings: userNamespace
          ? [
              `the engine runs its containers in a user namespace (${userNamespace}, userns-remap): the helper cannot reach the host's table`,
            ]
          : [],
        details: { ...details },
      };
    },

    async apply(steps: readonly PlanStep[], verify: readonly Target[]): Promise<ApplyOutcome> {
      const args: string[] = [];
      for (const step of steps) {
        for (const name of step.remove) args.push(`remove=${name}`);
        if (step.enable) args.push(`enable=${step.enable}`);
        if (step.register) {
          const matchesEngine = hostHeader !== undefined && matchesHeader(step.register, hostHeader);
          if (matchesEngine || !mayEmulate(engine.cpu, step.target.cpu, provenForeign)) {
            throw new QusError(
              "QUS_HOST_MATCH",
              `refusing to register ${step.register.name}: the engine runs ${step.target.cpu} programs itself, or may`,
              { hint: "this architecture runs natively on the engine and needs no emulation" },
            );
          }
          args.push(`register=${step.register.name}=${renderRegister(step.register)}`, interpArg(step.target.cpu));
        }
      }
      const report = await runHelper(
        [...args, ...verify.map((target) => probeArg(target.cpu))],
        verify.map((target) => target.cpu),
      );
      const failures = new Map<QemuCpu, QusError>();
      for (const step of steps) {
        const failure = stepFailure(step, report.ops, report.entries, tool);
        if (failure) failures.set(step.target.cpu, failure);
      }
      const probes = new Map<QemuCpu, ProbeResult>();
      for (const target of verify) {
        const run = report.probes.get(target.cpu);
        if (run && !failures.has(target.cpu)) probes.set(target.cpu, verdict(run));
      }
      return { entries: report.entries, failures, probes, qemuVersions: versionsOf(report) };
    },

    async remove(names: readonly string[]): Promise<RemoveOutcome> {
      const report = await runHelper(
        names.map((name) => `remove=${name}`),
        [],
      );
      const removed: string[] = [];
      const failures = new Map<string, QusError>();
      for (const op of report.ops) {
        if (op.ok) removed.push(op.name);
        else
          failures.set(op.name, new QusError("QUS_KERNEL_WRITE_FAILED", `could not remove ${op.name}: ${op.message}`));
      }
      return { removed, failures };
    },
  };
}

function markerArg(info: EngineInfo): string {
  const cpu = info.cpu ?? "x86_64";
  return `marker=${Buffer.from(buildExitProgram(cpu, NO_HANDLER_STATUS)).toString("base64")}`;
}

/** `interp=CPU`, or `interp=CPU=BASE` when another cpu's emulator runs its programs (`interp=i486=qemu-i386`). */
function interpArg(cpu: QemuCpu): string {
  const base = interpreterBase(requireTarget(cpu));
  return base === `qemu-${cpu}` ? `interp=${cpu}` : `interp=${cpu}=${base}`;
}

function probeArg(cpu: QemuCpu): string {
  return `probe=${cpu}=${Buffer.from(buildProbe(cpu)).toString("base64")}`;
}

function verdict(run: HelperProbe): ProbeResult {
  const status = run.chroot;
  const timedOut = status === "timeout";
  const signal = !timedOut && status > 128 && status !== NO_HANDLER_STATUS ? `signal ${status - 128}` : undefined;
  return describeProbeRun(
    {
      exitCode: timedOut || signal ? undefined : status,
      signal,
      stdout: "",
      stderr: run.message,
      startError: undefined,
      timedOut,
    },
    true,
  );
}

function stepFailure(
  step: PlanStep,
  ops: readonly HelperOp[],
  entries: readonly BinfmtEntry[],
  driver: string,
): QusError | undefined {
  const names = new Set([...step.remove, step.enable, step.register?.name].filter(Boolean));
  for (const op of ops.filter((candidate) => names.has(candidate.name) && !candidate.ok)) {
    if (op.kind === "register" && step.register && /exists/i.test(op.message)) {
      // A concurrent run registered it first: fine when it is what we wanted.
      if (
        registeredMeanwhile(
          entries.find((entry) => entry.name === op.name),
          step.register,
        ) === "same"
      )
        continue;
    }
    const code = /not permitted|permission denied/i.test(op.message)
      ? "QUS_PRIVILEGE_DENIED"
      : "QUS_KERNEL_WRITE_FAILED";
    return new QusError(code, `${op.kind} ${op.name} failed in the helper container: ${op.message}`, {
      hint: `check the entry with qus status --driver ${driver}`,
    });
  }
  return undefined;
}
