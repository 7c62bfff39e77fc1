import type { BinfmtEntry } from "../../binfmt/entry.js";
import { QusError } from "../../errors.js";
import type { ExecResult } from "../../exec.js";
import type { Interpreter, PlanStep } from "../../plan.js";
import { buildProbe } from "../../probe/index.js";
import { describeRunFailure } from "../../runner/cli-output.js";
import type { ContainerRunner, EngineInfo, RunSpec } from "../../runner/types.js";
import { entryName, interpreterBase, type QemuCpu, type Target } from "../../targets.js";
import { judgeNative, mayEmulate } from "../native-policy.js";
import { describeProbeRun } from "../probe-verdict.js";
import type { ApplyOutcome, Driver, Inspection, InspectRequest, ProbeResult, RemoveOutcome } from "../types.js";
import {
  parseTonistiigiInstallLines,
  parseTonistiigiStatus,
  tonistiigiArch,
  tonistiigiInstallCommand,
  tonistiigiSupports,
  tonistiigiUninstallCommand,
} from "./tonistiigi.js";

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

/**
 * The container driver's mode for tonistiigi/binfmt, the installer online users already have: install and
 * uninstall through its own CLI, read its status JSON, and always verify with qus's probes, each run as the only
 * process of a container of that image (it has no shell). Its exit code says nothing: the lines do.
 */
export function createTonistiigiDriver(
  runner: ContainerRunner,
  image: string,
  engine: EngineInfo,
  options: TonistiigiDriverOptions,
): Driver {
  const { privileged } = options;
  const privilege = privileged ? "full" : "least";
  const tool = runner.name;
  // binfmt's CLI mounts binfmt_misc; the probes only run a program.
  const spec: Omit<RunSpec, "command" | "entrypoint"> = { image, needsBinfmtMount: true, privilege };
  const probeSpec: Omit<RunSpec, "command" | "entrypoint"> = { image, needsBinfmtMount: false, privilege };
  const details = {
    image,
    endpoint: engine.endpoint,
    privilege: runner.describePrivilege(privilege),
    installer: "tonistiigi/binfmt",
  };
  const least = runner.describePrivilege("least");
  const where = (command: readonly string[]) =>
    `tonistiigi/binfmt (${image}${command.length ? ` ${command.join(" ")}` : ""}) on the engine at ${engine.endpoint}`;

  /** One run of binfmt's CLI. Its own failures are in its output; docker's and the container's end here. */
  async function binfmt(command: readonly string[]): Promise<ExecResult> {
    const result = await runner.run({ ...spec, command, timeoutMs: BINFMT_TIMEOUT_MS });
    if (result.timedOut) {
      throw new QusError(
        "QUS_TIMEOUT",
        `${where(command)} did not finish within ${BINFMT_TIMEOUT_MS / 1000} s: it was stopped and removed`,
        { hint: `the engine is stuck or overloaded: check it (${tool} info, ${tool} ps), then run qus again` },
      );
    }
    if (result.exitCode === 0 || result.exitCode === 1) return result;
    const detail = describeRunFailure(result);
    if (/unable to apply caps|operation not permitted|authorization denied/i.test(detail)) {
      throw new QusError(
        "QUS_PRIVILEGE_DENIED",
        `the engine refused to start ${where(command)} with ${details.privilege}: ${detail}`,
        {
          hint: privileged
            ? `drop --privileged: ${least} is enough where the engine allows it`
            : "pass --privileged, or build qus's own installer (qus image build), which tries both",
        },
      );
    }
    if (result.signal || result.exitCode === 137 || result.exitCode === 143) {
      throw new QusError(
        "QUS_EXEC_FAILED",
        `${where(command)} was stopped before it finished (status ${result.exitCode ?? result.signal}: killed by ${tool} kill, ${tool} stop, ${tool} rm --force or the out-of-memory killer)`,
        { hint: "run qus again; do not stop qus-helper-* containers while it runs" },
      );
    }
    throw new QusError("QUS_EXEC_FAILED", `could not run ${where(command)}: ${detail}`, {
      hint: `check the image (${tool} image inspect), or build qus's own installer: qus image build`,
    });
  }

  async function readStatus(): Promise<BinfmtEntry[]> {
    const result = await binfmt([]);
    let status: ReturnType<typeof parseTonistiigiStatus>;
    try {
      status = parseTonistiigiStatus(result.stdout);
    } catch (error) {
      throw statusFailure(error, `${result.stderr}\n${result.stdout}`);
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
  function statusFailure(error: unknown, output: string): unknown {
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

  // Compat modes of the engine that a run showed foreign: the only ones qus may install.
  const provenForeign = new Set<QemuCpu>();

  async function probe(cpus: readonly QemuCpu[]): Promise<Map<QemuCpu, ProbeResult>> {
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

  return {
    name: runner.name,

    async inspect(request: InspectRequest): Promise<Inspection> {
      const [entries, version] = await Promise.all([readStatus(), binfmt(["--version"])]);
      const names = new Set(entries.map((entry) => entry.name));
      const claimed = request.targets.filter((target) => names.has(entryName(target))).map((target) => target.cpu);
      // Without an entry in the way, a probe that runs shows the engine needs no emulation for it.
      const unclaimed = request.targets.filter((target) => !names.has(entryName(target))).map((target) => target.cpu);
      const [probes, direct] = await Promise.all([request.verify ? probe(claimed) : new Map(), probe(unclaimed)]);
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
    },

    async apply(steps: readonly PlanStep[], verify: readonly Target[]): Promise<ApplyOutcome> {
      const failures = new Map<QemuCpu, QusError>();
      // tonistiigi/binfmt cannot enable an entry: uninstall and install it again instead.
      const uninstall = [...new Set(steps.flatMap((step) => [...step.remove, ...(step.enable ? [step.enable] : [])]))];
      if (uninstall.length > 0) await binfmt(tonistiigiUninstallCommand(uninstall));
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
        const result = await binfmt(tonistiigiInstallCommand(install));
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
        readStatus(),
        probe(verify.map((target) => target.cpu).filter((cpu) => !failures.has(cpu))),
      ]);
      return { entries, failures, probes, qemuVersions: new Map() };
    },

    async remove(names: readonly string[]): Promise<RemoveOutcome> {
      if (names.length === 0) return { removed: [], failures: new Map() };
      const result = await binfmt(tonistiigiUninstallCommand(names));
      const remaining = new Set((await readStatus()).map((entry) => entry.name));
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
    },
  };
}

/** binfmt's own line about an entry it was asked to uninstall, as `: <line>`, or nothing when it printed none. */
function uninstallLine(result: ExecResult, name: string): string {
  const line = `${result.stderr}\n${result.stdout}`
    .split("\n")
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate.startsWith(`uninstalling: ${name} `) || candidate.startsWith("error: "));
  return line ? ` (${line})` : " (binfmt printed nothing about it)";
}
