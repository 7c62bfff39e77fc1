import type { BinfmtEntry } from "../../binfmt/entry.js";
import { QusError } from "../../errors.js";
import type { ExecResult } from "../../exec.js";
import type { Interpreter, PlanStep } from "../../plan.js";
import { buildProbe } from "../../probe/index.js";
import type { ContainerRunner, EngineInfo, RunSpec } from "../../runner/types.js";
import { entryName, type QemuCpu, type Target } from "../../targets.js";
import { describeProbeRun } from "../probe-verdict.js";
import type { ApplyOutcome, Driver, Inspection, InspectRequest, ProbeResult, RemoveOutcome } from "../types.js";
import {
  parseTonistiigiInstallLines,
  parseTonistiigiStatus,
  tonistiigiArch,
  tonistiigiInstallCommand,
  tonistiigiUninstallCommand,
} from "./tonistiigi.js";

/**
 * The container driver's mode for tonistiigi/binfmt, the installer online users already have: install and
 * uninstall through its own CLI, read its status JSON, and always verify with qus's probes, each run as the only
 * process of a container of that image (it has no shell). Its exit code says nothing: the lines do.
 */
export function createTonistiigiDriver(
  runner: ContainerRunner,
  image: string,
  engine: EngineInfo,
  privileged: boolean,
): Driver {
  const spec: Omit<RunSpec, "command" | "entrypoint"> = {
    image,
    privileged,
    capAdd: ["SYS_ADMIN"],
    securityOpt: engine.apparmor ? ["apparmor=unconfined"] : [],
  };
  const details = {
    image,
    endpoint: engine.endpoint,
    privilege: privileged ? "--privileged" : "--cap-add SYS_ADMIN",
    installer: "tonistiigi/binfmt",
  };

  async function binfmt(command: readonly string[]): Promise<ExecResult> {
    return runner.run({ ...spec, command });
  }

  async function readStatus(): Promise<BinfmtEntry[]> {
    const status = parseTonistiigiStatus((await binfmt([])).stdout);
    return status.emulators.map((name) => ({
      name,
      enabled: true,
      interpreter: "",
      flags: "",
      offset: 0,
      opaque: true,
    }));
  }

  async function probe(cpus: readonly QemuCpu[]): Promise<Map<QemuCpu, ProbeResult>> {
    const results = new Map<QemuCpu, ProbeResult>();
    await Promise.all(
      cpus.map(async (cpu) => results.set(cpu, describeProbeRun(await runner.runProgram(spec, buildProbe(cpu)), true))),
    );
    return results;
  }

  return {
    name: "docker",

    async inspect(request: InspectRequest): Promise<Inspection> {
      const [entries, version] = await Promise.all([readStatus(), binfmt(["--version"])]);
      const names = new Set(entries.map((entry) => entry.name));
      const claimed = request.targets.filter((target) => names.has(entryName(target))).map((target) => target.cpu);
      // Without an entry in the way, a probe that runs shows the engine needs no emulation for it.
      const unclaimed = request.targets.filter((target) => !names.has(entryName(target))).map((target) => target.cpu);
      const [probes, direct] = await Promise.all([request.verify ? probe(claimed) : new Map(), probe(unclaimed)]);
      const native = new Map<QemuCpu, string>();
      for (const [cpu, result] of direct)
        if (result.ok) native.set(cpu, "runs natively on the engine without emulation");
      const interpreters = new Map<QemuCpu, Interpreter>(
        request.targets.map((target) => [target.cpu, { path: `/usr/bin/qemu-${target.cpu}`, static: true }]),
      );
      const qemuVersion = /qemu\/(\S+)/.exec(`${version.stdout} ${version.stderr}`)?.[1];
      return {
        kernel: { release: "", binfmtMounted: true, mountedByQus: false },
        entries,
        native,
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
      const install = steps.filter((step) => step.register || step.enable).map((step) => step.target);
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
          new QusError("QUS_KERNEL_WRITE_FAILED", `tonistiigi/binfmt did not remove ${name}: ${result.stderr.trim()}`),
        );
      }
      return { removed: names.filter((name) => !remaining.has(name)), failures };
    },
  };
}
