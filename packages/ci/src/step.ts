import { randomBytes } from "node:crypto";
import { type BootstrapReport, bootstrap, provenReport } from "@qus/buildx";
import { type Driver, type Report, renderMarkdown } from "@qus/core";
import { type Exec, execProcess } from "@qus/core/runner";
import { type PlatformProblem, platformProblems, runsProven } from "@qus/core/toolkit";
import type { StepInputs } from "./inputs.js";
import { setUpKernel } from "./kernel-setup.js";

/** What the post step needs to undo exactly what the main step did. */
export interface StepState {
  /** The kernel the step set up. */
  readonly kernel: "local" | "docker";
  /** QEMU cpus whose entries this step registered (not those it found, enabled or left alone). */
  readonly registered: readonly string[];
  /** The buildx builder this step created, if any. */
  readonly createdBuilder?: string;
  readonly image?: string;
  /** The post step removes what the step set up (`cleanup: true`, the default). */
  readonly cleanup: boolean;
}

/** A platform asked for that does not run, and why: core's reason and hint for it. */
export type StepFailure = PlatformProblem;

/** What the step did: the outputs, the summary and the annotations a plugin turns into its runner's terms. */
export interface StepOutcome {
  /** qus's report of the kernel (as `qus ensure --json`). */
  readonly report: Report;
  /** The buildx builder's report, when `buildx` was asked. */
  readonly bootstrap?: BootstrapReport;
  /** The platforms asked for that run (native, or registered and verified; with buildx also proven), canonical. */
  readonly verified: readonly string[];
  /** The buildx builder's name (the output `name`), when a builder was set up. */
  readonly name?: string;
  /** The per-platform table, in Markdown. */
  readonly summary: string;
  readonly warnings: readonly string[];
  /** The platforms asked for that do not run: the step fails when there is one. */
  readonly failures: readonly StepFailure[];
  readonly state: StepState;
}

/** How the step runs processes and finds root. */
export interface StepOptions {
  /** The qus CLI (a file node runs), for the local driver as a non-root user: run through `sudo -n`. */
  readonly cliPath: string;
  readonly exec?: Exec;
  /** Whether this process is root; asked of the process by default. */
  readonly isRoot?: boolean;
}

/**
 * The step every qus CI plugin runs: picks the kernel (`kernel: auto`: this machine's through root or `sudo -n` when
 * the Docker engine runs on it, with QEMU found here or taken from the distribution; else the engine's), ensures and
 * verifies the platforms, optionally sets up and proves a buildx builder, and says which platforms run.
 * Throws a QusError when the step cannot run at all (bad input, no engine with `kernel: docker`, no root).
 */
export async function runStep(inputs: StepInputs, options: StepOptions): Promise<StepOutcome> {
  const exec = options.exec ?? execProcess;
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  const { kernel, report, driver } = await setUpKernel(inputs, { exec, isRoot, cliPath: options.cliPath });
  const state: StepState = { kernel, registered: registeredBy(report), image: inputs.image, cleanup: inputs.cleanup };
  let bootstrapped: BootstrapReport | undefined;
  if (inputs.buildx && report.ok) {
    // The kernel is ready: the builder's own ensure changes nothing. Should it fail, the post step still knows
    // what this step registered.
    try {
      bootstrapped = await bootstrapBuilder(inputs, exec, driver);
    } catch (error) {
      throw withStepState(error, state);
    }
  }
  // What runs: the kernel's report of this step, with the builder's proofs folded in when there is a builder.
  const judged = bootstrapped ? provenReport({ ...bootstrapped, binfmt: report }) : report;
  const { failures, verified } = stepVerdict(judged);
  return {
    report,
    bootstrap: bootstrapped,
    verified,
    name: bootstrapped?.builder,
    summary: summaryOf(report, bootstrapped),
    warnings: [...report.warnings, ...(bootstrapped?.warnings ?? [])],
    failures,
    state: { ...state, createdBuilder: bootstrapped?.created ? bootstrapped.builder : undefined },
  };
}

/**
 * Which platforms run and which do not, by core's rules and in core's words: verified (or native) platforms, and for
 * each one that is not ok its reason and hint as the report gives them.
 */
export function stepVerdict(report: Report): { failures: StepFailure[]; verified: string[] } {
  return {
    failures: platformProblems(report),
    verified: report.platforms.filter(runsProven).map((platform) => platform.platform),
  };
}

/** The QEMU cpus whose entries a report says this run registered (not those it found, enabled or left alone). */
function registeredBy(report: Report): string[] {
  return report.platforms
    .filter((platform) => platform.action === "register" || platform.action === "replace")
    .map((platform) => platform.cpu);
}

const STEP_STATES = new WeakMap<object, StepState>();

/** The error, carrying the state of what the step had done before it failed (see {@link stepStateOf}). */
function withStepState(error: unknown, state: StepState): unknown {
  const carrier = error instanceof Object ? error : new Error(String(error));
  STEP_STATES.set(carrier, state);
  return carrier;
}

/**
 * What a step that threw had already done (the entries it registered), for the post step to undo; undefined when
 * it threw before changing anything.
 */
export function stepStateOf(error: unknown): StepState | undefined {
  return error instanceof Object ? STEP_STATES.get(error) : undefined;
}

function bootstrapBuilder(inputs: StepInputs, exec: Exec, binfmtDriver: Driver): Promise<BootstrapReport> {
  return bootstrap({
    platforms: inputs.platforms,
    driver: inputs.driver,
    ...builderNameOf(inputs),
    ...(inputs.driverOpts.length > 0 ? { driverOpts: inputs.driverOpts } : {}),
    use: inputs.use,
    replace: inputs.replace,
    ...(inputs.image ? { image: inputs.image } : {}),
    binfmtDriver,
    exec,
  });
}

/**
 * The builder's name: the one given; for a docker-container builder without one, a new name per job, as
 * setup-buildx-action generates one (so two jobs on one machine never share, nor remove, each other's builder).
 */
function builderNameOf(inputs: StepInputs): { builder?: string } {
  if (inputs.name) return { builder: inputs.name };
  return inputs.driver === "docker-container" ? { builder: `qus-${randomBytes(6).toString("hex")}` } : {};
}

/** core's per-platform table, and the builder's proof when there is one. */
function summaryOf(report: Report, bootstrapped: BootstrapReport | undefined): string {
  const parts = [renderMarkdown(report)];
  if (bootstrapped) {
    parts.push(
      `### buildx builder ${bootstrapped.builder} (${bootstrapped.driver}${bootstrapped.created ? ", created by this job" : ""})`,
      "",
      "| platform | listed | native | proven |",
      "|---|---|---|---|",
      ...bootstrapped.platforms.map(
        (proof) =>
          `| ${proof.platform} | ${yes(proof.listed)} | ${yes(proof.native)} | ${proof.proven ? "✅ yes" : `❌ no${proof.reason ? `: ${proof.reason.replaceAll("|", "\\|")}` : ""}`} |`,
      ),
      "",
    );
  }
  return parts.join("\n");
}

const yes = (value: boolean) => (value ? "yes" : "no");
