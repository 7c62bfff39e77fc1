import { DEFAULT_FLAGS, parseFlags } from "../binfmt/flags.js";
import { changesKernel, type PlanStep, plan } from "../plan.js";
import type { CachedQemu } from "../qemu/index.js";
import { buildReport, describePlatform, entryState } from "../report/build.js";
import type { Report } from "../report/model.js";
import { entryName } from "../targets.js";
import { driverWithQemu, type OperationOptions, qemuDetails, targetsOf } from "./common.js";
import { claimantOf, kernelProblem } from "./kernel-problems.js";

/** Options of {@link ensure}. */
export interface EnsureOptions extends OperationOptions {
  /** binfmt_misc flags to register with; `FC` by default. */
  readonly flags?: string;
  /** Replace entries that differ or stand in the way, instead of reporting a conflict. */
  readonly replace?: boolean;
  /** Plan and report without changing the kernel. */
  readonly dryRun?: boolean;
}

/**
 * Makes every requested platform run: resolve → inspect → plan → apply the least change → verify by running a
 * probe of each architecture → report. Idempotent: a second run changes nothing.
 */
export async function ensure(options: EnsureOptions): Promise<Report> {
  const targets = targetsOf(options);
  const flags = parseFlags(options.flags ?? DEFAULT_FLAGS);
  const dryRun = options.dryRun ?? false;
  const { driver, qemu } = await driverWithQemu(options);
  const inspection = await driver.inspect({ targets, mount: !dryRun, verify: !dryRun });
  const steps = plan({
    targets,
    entries: inspection.entries,
    native: new Set(inspection.native.keys()),
    interpreters: inspection.interpreters,
    flags,
    replace: options.replace ?? false,
    probes: inspection.probes,
  });
  const problems = new Map(targets.map((target) => [target.cpu, kernelProblem(inspection, target, true)]));
  // A kernel that uses no entry, or a native cpu claimed by an entry, is reported, not changed around.
  const changes = steps.filter((step) => changesKernel(step) && !problems.get(step.target.cpu));
  const outcome =
    !dryRun && changes.length > 0
      ? await driver.apply(
          changes,
          changes.map((step) => step.target),
        )
      : undefined;
  const entriesAfter = outcome?.entries ?? inspection.entries;
  const versions = new Map([...inspection.qemuVersions, ...(outcome?.qemuVersions ?? [])]);

  const platforms = steps.map((step) => {
    const name = entryName(step.target);
    const native = step.action === "native";
    return describePlatform({
      target: step.target,
      action: step.action,
      before: native ? "native" : entryState(step.existing),
      after: native ? "native" : entriesAfter.find((entry) => entry.name === name),
      probe: outcome?.probes.get(step.target.cpu) ?? inspection.probes.get(step.target.cpu),
      qemuVersions: versions,
      foundInterpreter: inspection.interpreters.get(step.target.cpu)?.path,
      reasons: step.reasons,
      claimant: claimantOf({ ...inspection, entries: entriesAfter }, step.target),
      interpreterFiles: inspection.interpreterFiles,
      error: problems.get(step.target.cpu) ?? outcome?.failures.get(step.target.cpu),
      requireVerified: !dryRun,
    });
  });
  const lost = steps.flatMap((step) => (step.action === "replace" ? (step.alsoServed ?? []) : []));
  const report = withQemuSource(buildReport("ensure", driver.name, inspection, platforms, dryRun), qemu, steps);
  return lost.length > 0 ? { ...report, warnings: [...report.warnings, ...lost] } : report;
}

/**
 * With `qemuFrom`: the report names the source (JSON `driverDetails`), and says what an entry registered from the
 * cache folder depends on: with F the kernel holds the emulator open, so cleaning the cache later does not break it.
 */
function withQemuSource(report: Report, qemu: CachedQemu | undefined, steps: readonly PlanStep[]): Report {
  if (!qemu) return report;
  const registered = steps.filter((step) => step.register?.interpreter.startsWith(`${qemu.folder}/`));
  const withF = registered.every((step) => step.register?.flags.includes("F"));
  const note =
    registered.length === 0 || report.dryRun
      ? []
      : [
          withF
            ? `registered from ${qemu.folder} (${qemu.source}): with the F flag the kernel opened each emulator at registration, so these entries keep working if that folder is cleaned later (until a reboot; qus persist keeps them)`
            : `registered from ${qemu.folder} (${qemu.source}) without the F flag: these entries break if that folder is cleaned`,
        ];
  return {
    ...report,
    driverDetails: { ...report.driverDetails, ...qemuDetails(qemu) },
    warnings: [...report.warnings, ...note],
  };
}
