import { type BinfmtEntry, claimedBy } from "../../binfmt/entry.js";
import { matchesHeader } from "../../binfmt/match.js";
import { renderRegister } from "../../binfmt/register.js";
import { QusError } from "../../errors.js";
import { entryDifferences, type Interpreter, type PlanStep, targetPattern } from "../../plan.js";
import { buildExitProgram, buildProbe } from "../../probe/index.js";
import type { ContainerRunner, EngineInfo } from "../../runner/types.js";
import type { QemuCpu, Target } from "../../targets.js";
import { cpuOfMachine } from "../local/host.js";
import { describeProbeRun, NO_HANDLER_STATUS } from "../probe-verdict.js";
import type { ApplyOutcome, Driver, Inspection, InspectRequest, ProbeResult, RemoveOutcome } from "../types.js";
import { HELPER_SCRIPT } from "./helper-script.js";
import { type HelperOp, type HelperReport, parseHelperOutput } from "./protocol.js";

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
  privilegedOption: boolean | undefined,
): Driver {
  let privileged = privilegedOption ?? false;
  let hostHeader: Uint8Array | undefined;
  const details: Record<string, string> = { image, endpoint: engine.endpoint };
  const version = labels["org.qus.qemu.version"];
  if (version) details.qemuVersion = version;

  // The image's label names QEMU's version: no need to run every emulator for it.
  const fixed = version ? ["noversion=1"] : [];

  async function runHelper(args: readonly string[]): Promise<HelperReport> {
    const marker = markerArg(engine);
    let report = await runOnce(engine, [marker, ...fixed, ...args]);
    if (report.mountError && !privileged && privilegedOption === undefined) {
      // Least privilege was not enough (a confined engine): try once more with --privileged.
      privileged = true;
      report = await runOnce(engine, [marker, ...fixed, ...args]);
    }
    if (report.mountError) {
      throw new QusError(
        "QUS_PRIVILEGE_DENIED",
        `the helper container could not mount binfmt_misc: ${report.mountError}`,
        {
          hint: "the engine must allow --cap-add SYS_ADMIN (or --privileged) for the helper container",
        },
      );
    }
    details.privilege = privileged ? "--privileged" : "--cap-add SYS_ADMIN";
    hostHeader ??= report.hostHeader;
    return report;
  }

  async function runOnce(info: EngineInfo, args: readonly string[]): Promise<HelperReport> {
    const result = await runner.run({
      image,
      entrypoint: "/bin/busybox",
      command: ["sh", "-c", HELPER_SCRIPT, "qus-helper", ...args],
      privileged,
      capAdd: ["SYS_ADMIN"],
      securityOpt: info.apparmor ? ["apparmor=unconfined"] : [],
    });
    const report = parseHelperOutput(result.stdout);
    if (!report.complete && !report.mountError) {
      const detail = (result.stderr || result.stdout).trim().split("\n").slice(-3).join(" ");
      if (privileged && /operation not permitted|unable to apply caps/i.test(detail)) {
        throw new QusError("QUS_PRIVILEGE_DENIED", `the engine refused a --privileged helper container: ${detail}`, {
          hint: "drop --privileged: qus needs only --cap-add SYS_ADMIN",
        });
      }
      throw new QusError(
        "QUS_EXEC_FAILED",
        `the helper container (${image}) failed: ${detail || `exit ${result.exitCode}`}`,
        {
          hint: "check that the image holds /bin/busybox and QEMU (qus image build makes one)",
        },
      );
    }
    return report;
  }

  function versionsOf(report: HelperReport): ReadonlyMap<string, string> {
    if (!version) return report.versions;
    // The label is one emulator's first line (`qemu-aarch64 version 7.2.22 (...)`): name each one's own.
    return new Map([...report.interpreters].map(([cpu, path]) => [path, version.replace(/^qemu-\S+/, `qemu-${cpu}`)]));
  }

  return {
    name: "docker",

    async inspect(request: InspectRequest): Promise<Inspection> {
      const cpus = request.targets.map((target) => target.cpu);
      const report = await runHelper([...cpus.map((cpu) => `interp=${cpu}`), ...cpus.map(probeArg)]);
      const native = new Map<QemuCpu, string>();
      const probes = new Map<QemuCpu, ProbeResult>();
      for (const target of request.targets) {
        const run = report.probes.get(target.cpu);
        if (report.hostHeader && matchesHeader(targetPattern(target), report.hostHeader)) {
          native.set(target.cpu, "the engine's own architecture");
        } else if (!claimedBy(report.entries, buildProbe(target.cpu))) {
          if (run?.direct === 0) native.set(target.cpu, "runs natively on the engine without emulation");
        } else if (request.verify && run) {
          probes.set(target.cpu, verdict(run.chroot, run.message));
        }
      }
      const interpreters = new Map<QemuCpu, Interpreter>();
      for (const [cpu, path] of report.interpreters) interpreters.set(cpu as QemuCpu, { path, static: true });
      return {
        // The helper mounts binfmt_misc in its own mount namespace only: the engine's host is left as it was.
        kernel: { release: report.kernel, binfmtMounted: true, mountedByQus: false },
        entries: report.entries,
        native,
        interpreters,
        probes,
        qemuVersions: versionsOf(report),
        warnings: [],
        details: { ...details },
      };
    },

    async apply(steps: readonly PlanStep[], verify: readonly Target[]): Promise<ApplyOutcome> {
      const args: string[] = [];
      for (const step of steps) {
        for (const name of step.remove) args.push(`remove=${name}`);
        if (step.enable) args.push(`enable=${step.enable}`);
        if (step.register) {
          if (hostHeader && matchesHeader(step.register, hostHeader)) {
            throw new QusError(
              "QUS_HOST_MATCH",
              `refusing to register ${step.register.name}: it matches the engine's own programs`,
            );
          }
          args.push(`register=${step.register.name}=${renderRegister(step.register)}`, `interp=${step.target.cpu}`);
        }
      }
      const report = await runHelper([...args, ...verify.map((target) => probeArg(target.cpu))]);
      const failures = new Map<QemuCpu, QusError>();
      for (const step of steps) {
        const failure = stepFailure(step, report.ops, report.entries);
        if (failure) failures.set(step.target.cpu, failure);
      }
      const probes = new Map<QemuCpu, ProbeResult>();
      for (const target of verify) {
        const run = report.probes.get(target.cpu);
        if (run && !failures.has(target.cpu)) probes.set(target.cpu, verdict(run.chroot, run.message));
      }
      return { entries: report.entries, failures, probes, qemuVersions: versionsOf(report) };
    },

    async remove(names: readonly string[]): Promise<RemoveOutcome> {
      const report = await runHelper(names.map((name) => `remove=${name}`));
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
  const cpu = cpuOfMachine(info.architecture) ?? "x86_64";
  return `marker=${Buffer.from(buildExitProgram(cpu, NO_HANDLER_STATUS)).toString("base64")}`;
}

function probeArg(cpu: QemuCpu): string {
  return `probe=${cpu}=${Buffer.from(buildProbe(cpu)).toString("base64")}`;
}

function verdict(status: number, message: string): ProbeResult {
  const signal = status > 128 && status !== NO_HANDLER_STATUS ? `signal ${status - 128}` : undefined;
  return describeProbeRun(
    {
      exitCode: signal ? undefined : status,
      signal,
      stdout: "",
      stderr: message,
      startError: undefined,
      timedOut: false,
    },
    true,
  );
}

function stepFailure(step: PlanStep, ops: readonly HelperOp[], entries: readonly BinfmtEntry[]): QusError | undefined {
  const names = new Set([...step.remove, step.enable, step.register?.name].filter(Boolean));
  for (const op of ops.filter((candidate) => names.has(candidate.name) && !candidate.ok)) {
    if (op.kind === "register" && step.register && /exists/i.test(op.message)) {
      // A concurrent run registered it first: fine when it is what we wanted.
      const now = entries.find((entry) => entry.name === op.name);
      if (now && entryDifferences(now, step.register, step.register.flags, step.register.interpreter).length === 0)
        continue;
    }
    const code = /not permitted|permission denied/i.test(op.message)
      ? "QUS_PRIVILEGE_DENIED"
      : "QUS_KERNEL_WRITE_FAILED";
    return new QusError(code, `${op.kind} ${op.name} failed in the helper container: ${op.message}`, {
      hint: "check the entry with qus status --driver docker",
    });
  }
  return undefined;
}
