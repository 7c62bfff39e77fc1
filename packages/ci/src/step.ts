import { type BootstrapReport, bootstrap, provenReport } from "@qus/buildx";
import { type Driver, ensure, isQusError, type Report, renderMarkdown } from "@qus/core";
import { createDockerCliRunner, type Exec, execProcess } from "@qus/core/runner";
import { type PlatformProblem, platformProblems, runsProven } from "@qus/core/toolkit";
import type { StepInputs } from "./inputs.js";
import { kernelDriver } from "./kernel-driver.js";
import { runQusAsRoot } from "./sudo.js";

/** What the post step needs to undo exactly what the main step did. */
export interface StepState {
  /** Where the step set up emulation. */
  readonly driver: "local" | "docker";
  /** QEMU cpus whose entries this step registered (not those it found, enabled or left alone). */
  readonly registered: readonly string[];
  /** The buildx builder this step created, if any. */
  readonly createdBuilder?: string;
  readonly image?: string;
  /** The user asked for the clean-up (`cleanup: true`). */
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
  /** The builder's name, when `buildx` was asked. */
  readonly builder?: string;
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
 * The step every qus CI plugin runs: picks where to set up emulation (the Docker engine's kernel when an engine
 * answers, since builds run there; else this machine's, through `sudo -n` when the job is not root), ensures and
 * verifies the platforms, optionally bootstraps and proves a buildx builder, and says which platforms run.
 * Throws a QusError when the step cannot run at all (bad input, no engine with `driver: docker`, no root).
 */
export async function runStep(inputs: StepInputs, options: StepOptions): Promise<StepOutcome> {
  const exec = options.exec ?? execProcess;
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  const driver = inputs.driver === "auto" ? await autoDriver(exec) : inputs.driver;
  // One driver for the ensure and the builder's: what it learnt of the engine (its info, the image) is asked once.
  const binfmtDriver = kernelDriver(driver, exec, inputs.image);

  let report: Report;
  let bootstrapped: BootstrapReport | undefined;
  if (driver === "local" && !isRoot) {
    // Writing binfmt_misc needs root: the CLI does it under sudo, and a builder then finds the kernel ready.
    report = await runQusAsRoot(exec, options.cliPath, ensureArgs(inputs));
  } else {
    report = await ensure({
      platforms: inputs.platforms,
      driver: binfmtDriver,
      replace: inputs.replace,
      ...(inputs.flags ? { flags: inputs.flags } : {}),
    });
  }
  const state: StepState = {
    driver,
    registered: registeredBy(report),
    image: inputs.image,
    cleanup: inputs.cleanup,
  };
  if (inputs.buildx && report.ok) {
    // The kernel is ready: the builder's own ensure changes nothing. Should it fail, the post step still knows
    // what this step registered.
    try {
      bootstrapped = await bootstrapBuilder(inputs, exec, binfmtDriver);
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
    builder: bootstrapped?.builder,
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

/** The Docker engine's kernel when an engine answers (builds run there), else this machine's. */
async function autoDriver(exec: Exec): Promise<"local" | "docker"> {
  try {
    await createDockerCliRunner({ exec, engineTimeoutMs: 10_000 }).info();
    return "docker";
  } catch (error) {
    if (isQusError(error) && (error.code === "QUS_ENGINE_UNREACHABLE" || error.code === "QUS_USAGE")) return "local";
    throw error;
  }
}

/** `qus ensure` arguments for the inputs, as the CLI takes them. */
function ensureArgs(inputs: StepInputs): string[] {
  return [
    "ensure",
    "--platforms",
    inputs.platforms.join(","),
    ...(inputs.replace ? ["--replace"] : []),
    ...(inputs.flags ? ["--flags", inputs.flags] : []),
    "--json",
  ];
}

function bootstrapBuilder(inputs: StepInputs, exec: Exec, binfmtDriver: Driver): Promise<BootstrapReport> {
  return bootstrap({
    platforms: inputs.platforms,
    driver: inputs.builderName ? "docker-container" : "docker",
    ...(inputs.builderName ? { builder: inputs.builderName } : {}),
    replace: inputs.replace,
    ...(inputs.image ? { image: inputs.image } : {}),
    binfmtDriver,
    exec,
  });
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
