import { claimantsOf } from "../../binfmt/entry.js";
import { matchesHeader } from "../../binfmt/match.js";
import { renderRegister } from "../../binfmt/register.js";
import { QusError } from "../../errors.js";
import { type Interpreter, type PlanStep, targetPattern } from "../../plan.js";
import { buildProbe } from "../../probe/index.js";
import type { QemuCpu, Target } from "../../targets.js";
import { judgeNative, mayEmulate } from "../native-policy.js";
import type { ApplyOutcome, Inspection, InspectRequest, ProbeResult, RemoveOutcome } from "../types.js";
import { describeUserNamespace } from "../user-namespace.js";
import { interpArg, probeArg } from "./helper-args.js";
import { stepFailure, verdict } from "./helper-outcomes.js";
import { type HelperSession, runHelper, versionsOf } from "./helper-session.js";

/** Reads the engine's table, its interpreters and what runs natively there, in one helper pass. */
export async function inspectWithHelper(session: HelperSession, request: InspectRequest): Promise<Inspection> {
  const { engine, provenForeign, details } = session;
  const cpus = request.targets.map((target) => target.cpu);
  const report = await runHelper(session, [...cpus.map(interpArg), ...cpus.map(probeArg)], cpus);
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
    qemuVersions: versionsOf(session, report),
    warnings: userNamespace
      ? [
          `the engine runs its containers in a user namespace (${userNamespace}, userns-remap): the helper cannot reach the host's table`,
        ]
      : [],
    details: { ...details },
  };
}

/** Applies the plan's steps and proves the targets to verify, in one helper pass. */
export async function applyWithHelper(
  session: HelperSession,
  steps: readonly PlanStep[],
  verify: readonly Target[],
): Promise<ApplyOutcome> {
  const { engine, provenForeign, hostHeader } = session;
  const tool = session.runner.name;
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
    session,
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
  return { entries: report.entries, failures, probes, qemuVersions: versionsOf(session, report) };
}

/** Removes entries by name, in one helper pass; each failure is its entry's. */
export async function removeWithHelper(session: HelperSession, names: readonly string[]): Promise<RemoveOutcome> {
  const report = await runHelper(
    session,
    names.map((name) => `remove=${name}`),
    [],
  );
  const removed: string[] = [];
  const failures = new Map<string, QusError>();
  for (const op of report.ops) {
    if (op.ok) removed.push(op.name);
    else failures.set(op.name, new QusError("QUS_KERNEL_WRITE_FAILED", `could not remove ${op.name}: ${op.message}`));
  }
  return { removed, failures };
}
