import { QusError } from "../../errors.js";
import type { Interpreter, PlanStep } from "../../plan.js";
import { entryName, interpreterBase, type QemuCpu, type Target } from "../../targets.js";
import { judgeNative, mayEmulate } from "../native-policy.js";
import type { ApplyOutcome, Inspection, InspectRequest, RemoveOutcome } from "../types.js";
import {
  parseTonistiigiInstallLines,
  tonistiigiArch,
  tonistiigiInstallCommand,
  tonistiigiSupports,
  tonistiigiUninstallCommand,
} from "./tonistiigi.js";
import { type BinfmtRun, probe, readStatus, runBinfmt, type TonistiigiSession } from "./tonistiigi-session.js";

/** Reads binfmt's status and version, and probes each target: claimed ones to verify, the others for native runs. */
export async function inspectWithTonistiigi(session: TonistiigiSession, request: InspectRequest): Promise<Inspection> {
  const { engine, details, provenForeign } = session;
  const [entries, version] = await Promise.all([readStatus(session), runBinfmt(session, ["--version"])]);
  const names = new Set(entries.map((entry) => entry.name));
  const claimed = request.targets.filter((target) => names.has(entryName(target))).map((target) => target.cpu);
  // Without an entry in the way, a probe that runs shows the engine needs no emulation for it.
  const unclaimed = request.targets.filter((target) => !names.has(entryName(target))).map((target) => target.cpu);
  const [probes, direct] = await Promise.all([
    request.verify ? probe(session, claimed) : new Map(),
    probe(session, unclaimed),
  ]);
  const native = new Map<QemuCpu, string>();
  const hostClaims = new Map<QemuCpu, readonly string[]>();
  for (const target of request.targets) {
    const claimedHere = names.has(entryName(target));
    const run = direct.get(target.cpu);
    const decision = judgeNative(engine.cpu, target.cpu, run, claimedHere);
    if (decision.native) native.set(target.cpu, `${decision.reason ?? "runs natively"} on the engine`);
    if (decision.provenForeign) provenForeign.add(target.cpu);
    if (decision.hostClaimed) hostClaims.set(target.cpu, [entryName(target)]);
  }
  const interpreters = new Map<QemuCpu, Interpreter>(
    request.targets
      .filter(tonistiigiSupports)
      .map((target) => [target.cpu, { path: `/usr/bin/${interpreterBase(target)}`, static: true }]),
  );
  const qemuVersion = /qemu\/(\S+)/.exec(`${version.stdout} ${version.stderr}`)?.[1];
  return {
    kernel: { release: "", binfmtMounted: true, mountedByQus: false },
    entries,
    native,
    hostClaims,
    interpreters,
    probes,
    qemuVersions: new Map(),
    warnings: ["tonistiigi/binfmt shows entry names only: flags and interpreters are not reported; probes decide"],
    details: qemuVersion ? { ...details, qemuVersion: `qemu ${qemuVersion}` } : details,
  };
}

/** Uninstalls and installs through binfmt's CLI (it cannot enable), then proves the targets to verify. */
export async function applyWithTonistiigi(
  session: TonistiigiSession,
  steps: readonly PlanStep[],
  verify: readonly Target[],
): Promise<ApplyOutcome> {
  const { engine, provenForeign } = session;
  const failures = new Map<QemuCpu, QusError>();
  // tonistiigi/binfmt cannot enable an entry: uninstall and install it again instead.
  const uninstall = [...new Set(steps.flatMap((step) => [...step.remove, ...(step.enable ? [step.enable] : [])]))];
  if (uninstall.length > 0) await runBinfmt(session, tonistiigiUninstallCommand(uninstall));
  // The engine's own compat modes (i386 on x86_64) only where a run showed them foreign.
  const install = steps
    .filter((step) => step.register || step.enable)
    .map((step) => step.target)
    .filter((target) => {
      if (mayEmulate(engine.cpu, target.cpu, provenForeign)) return true;
      failures.set(
        target.cpu,
        new QusError("QUS_HOST_MATCH", `refusing to install ${entryName(target)}: the engine may run it natively`, {
          hint: "this architecture runs natively on the engine and needs no emulation",
        }),
      );
      return false;
    });
  if (install.length > 0) {
    const result = await runBinfmt(session, tonistiigiInstallCommand(install));
    const lines = parseTonistiigiInstallLines(`${result.stderr}\n${result.stdout}`);
    for (const target of install) {
      const line = lines.find((candidate) => candidate.platform === tonistiigiArch(target));
      if (!line?.ok) {
        failures.set(
          target.cpu,
          new QusError(
            "QUS_KERNEL_WRITE_FAILED",
            `tonistiigi/binfmt could not install ${entryName(target)}: ${line?.message ?? "no result line"}`,
            {
              hint: "its exit code is 0 either way; see its output, or build qus's own image: qus image build",
            },
          ),
        );
      }
    }
  }
  const [entries, probes] = await Promise.all([
    readStatus(session),
    probe(
      session,
      verify.map((target) => target.cpu).filter((cpu) => !failures.has(cpu)),
    ),
  ]);
  return { entries, failures, probes, qemuVersions: new Map() };
}

/** Uninstalls entries by name; one binfmt still lists afterwards is a failure, with binfmt's own line about it. */
export async function removeWithTonistiigi(
  session: TonistiigiSession,
  names: readonly string[],
): Promise<RemoveOutcome> {
  if (names.length === 0) return { removed: [], failures: new Map() };
  const result = await runBinfmt(session, tonistiigiUninstallCommand(names));
  const remaining = new Set((await readStatus(session)).map((entry) => entry.name));
  const failures = new Map<string, QusError>();
  for (const name of names.filter((candidate) => remaining.has(candidate))) {
    failures.set(
      name,
      new QusError(
        "QUS_KERNEL_WRITE_FAILED",
        `tonistiigi/binfmt did not remove ${name}: it is still listed after --uninstall${uninstallLine(result, name)}`,
      ),
    );
  }
  return { removed: names.filter((name) => !remaining.has(name)), failures };
}

/** binfmt's own line about an entry it was asked to uninstall, as `: <line>`, or nothing when it printed none. */
function uninstallLine(result: BinfmtRun, name: string): string {
  const line = `${result.stderr}\n${result.stdout}`
    .split("\n")
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate.startsWith(`uninstalling: ${name} `) || candidate.startsWith("error: "));
  return line ? ` (${line})` : " (binfmt printed nothing about it)";
}
