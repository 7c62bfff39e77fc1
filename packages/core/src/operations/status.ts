import type { ProbeResult } from "../drivers/types.js";
import { buildReport, describePlatform, entryState } from "../report/build.js";
import type { Report } from "../report/model.js";
import { entryName } from "../targets.js";
import { driverWithQemu, type OperationOptions, qemuDetails, targetsOf } from "./common.js";
import { claimantOf, kernelProblem } from "./kernel-problems.js";

/** Options of {@link status} and {@link verify}. */
export type StatusOptions = OperationOptions;

/** Reads the kernel's table for the platforms (all by default) without changing anything or running probes. */
export function status(options: StatusOptions = {}): Promise<Report> {
  return inspectReport(options, false);
}

/** Runs each platform's probe, the way builds will meet it, and reports which ones really work. Changes nothing. */
export function verify(options: StatusOptions): Promise<Report> {
  return inspectReport(options, true);
}

async function inspectReport(options: StatusOptions, runProbes: boolean): Promise<Report> {
  const targets = targetsOf(options, !runProbes);
  const { driver, qemu } = await driverWithQemu(options);
  const inspection = await driver.inspect({ targets, mount: false, verify: runProbes });
  const platforms = targets.map((target) => {
    const entry = inspection.entries.find((candidate) => candidate.name === entryName(target));
    const native = inspection.native.has(target.cpu);
    const unclaimed: ProbeResult = { ok: false, failure: "no-handler" };
    return describePlatform({
      target,
      action: "none",
      before: native ? "native" : entryState(entry),
      after: native ? "native" : entry,
      probe: runProbes ? (inspection.probes.get(target.cpu) ?? unclaimed) : undefined,
      qemuVersions: inspection.qemuVersions,
      foundInterpreter: inspection.interpreters.get(target.cpu)?.path,
      reasons: native ? [inspection.native.get(target.cpu) ?? "runs natively"] : entry ? [] : ["not registered"],
      claimant: claimantOf(inspection, target),
      interpreterFiles: inspection.interpreterFiles,
      error: kernelProblem(inspection, target),
      requireVerified: runProbes,
    });
  });
  const report = buildReport(runProbes ? "verify" : "status", driver.name, inspection, platforms, false);
  return qemu ? { ...report, driverDetails: { ...report.driverDetails, ...qemuDetails(qemu) } } : report;
}
