import { ensure, type Report } from "@qus/core";
import type { Exec } from "@qus/core/runner";
import type { StepInputs } from "./inputs.js";
import { kernelDriver } from "./kernel-driver.js";
import { runQusAsRoot } from "./sudo.js";

/**
 * Where QEMU comes from when this machine has none for a platform: Debian's static QEMU from Debian's archive,
 * verified against its signed index (qus's `--qemu-from`). A public source every runner reaches, no registry pull.
 */
export const DISTRIBUTION_QEMU = "debian:trixie";

/** How the step reaches this machine's kernel: in this process as root, else the qus CLI through `sudo -n`. */
export interface LocalEnsureOptions {
  readonly exec: Exec;
  readonly isRoot: boolean;
  /** The qus CLI (a file node runs) for `sudo -n`. */
  readonly cliPath: string;
}

/**
 * Ensures the platforms on this machine's kernel with the QEMU found on it, or, when it lacks QEMU for one of them
 * (a dry run says which), with {@link DISTRIBUTION_QEMU}'s for all: one source, one report.
 */
export async function ensureLocal(inputs: StepInputs, options: LocalEnsureOptions): Promise<Report> {
  const planned = await ensureHere(inputs, options, { dryRun: true });
  const lacking = planned.platforms.some((platform) => platform.action === "missing-interpreter");
  return ensureHere(inputs, options, lacking ? { qemuFrom: DISTRIBUTION_QEMU } : {});
}

function ensureHere(
  inputs: StepInputs,
  options: LocalEnsureOptions,
  extra: { readonly dryRun?: boolean; readonly qemuFrom?: string },
): Promise<Report> {
  if (!options.isRoot) {
    // Writing binfmt_misc needs root: the CLI does it under sudo, and a builder then finds the kernel ready.
    return runQusAsRoot(options.exec, options.cliPath, ensureArgs(inputs, extra));
  }
  return ensure({
    platforms: inputs.platforms,
    replace: inputs.replace,
    ...(inputs.flags ? { flags: inputs.flags } : {}),
    // With qemuFrom, core makes the local driver that looks in the fetched folder (a driver given would win).
    ...(extra.qemuFrom ? {} : { driver: kernelDriver("local", options.exec, undefined) }),
    ...extra,
  });
}

/** `qus ensure` arguments for the inputs, as the CLI takes them. */
function ensureArgs(inputs: StepInputs, extra: { readonly dryRun?: boolean; readonly qemuFrom?: string }): string[] {
  return [
    "ensure",
    "--platforms",
    inputs.platforms.join(","),
    ...(inputs.replace ? ["--replace"] : []),
    ...(inputs.flags ? ["--flags", inputs.flags] : []),
    ...(extra.qemuFrom ? ["--qemu-from", extra.qemuFrom] : []),
    ...(extra.dryRun ? ["--dry-run"] : []),
    "--json",
  ];
}
