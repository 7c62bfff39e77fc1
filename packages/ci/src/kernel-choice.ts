import { release } from "node:os";
import { type Exec, engineCommand } from "@qus/core/runner";

/** What `kernel: auto` learnt of this machine and its Docker engine, and the kernel it picked. */
export interface KernelChoice {
  readonly kernel: "local" | "docker";
  /** An engine answered (`docker info`). */
  readonly engine: boolean;
}

/** How the choice asks: whether the job is root, and this machine's kernel release (a seam for tests). */
export interface KernelChoiceOptions {
  readonly exec: Exec;
  readonly isRoot: boolean;
  /** `uname -r` of this machine; node's os.release() by default. */
  readonly release?: string;
}

/**
 * `kernel: auto`: this machine's kernel when the job can be root here (it is, or `sudo -n` works, as on GitHub-hosted
 * runners) and the Docker engine, if one answers, runs on this same kernel (same release): no installer image to pull.
 * Else the engine's kernel when one answers; else this machine's, whose set-up then says what it lacks.
 */
export async function chooseKernel(options: KernelChoiceOptions): Promise<KernelChoice> {
  const [root, engineRelease] = await Promise.all([
    options.isRoot || passwordlessSudo(options.exec),
    engineKernelRelease(options.exec),
  ]);
  const engine = engineRelease !== undefined;
  const sameKernel = !engine || engineRelease === (options.release ?? release());
  if (root && sameKernel) return { kernel: "local", engine };
  return { kernel: engine ? "docker" : "local", engine };
}

/** Whether `sudo -n true` runs: root without a password, as the step's local set-up needs it. */
async function passwordlessSudo(exec: Exec): Promise<boolean> {
  const result = await exec("sudo", ["-n", "true"], { timeoutMs: 10_000 });
  return result.exitCode === 0;
}

/**
 * The Docker engine's kernel release (`docker info`'s KernelVersion), "" when it does not say; undefined when no
 * engine answers.
 */
async function engineKernelRelease(exec: Exec): Promise<string | undefined> {
  const outcome = await engineCommand({ exec }).info(10_000);
  if (outcome.kind !== "ran" || outcome.result.exitCode !== 0) return undefined;
  try {
    const info = JSON.parse(outcome.result.stdout) as { KernelVersion?: unknown; ServerVersion?: unknown };
    // A client with no engine behind it prints its own info with no server part.
    if (typeof info.ServerVersion !== "string" || info.ServerVersion === "") return undefined;
    return typeof info.KernelVersion === "string" ? info.KernelVersion : "";
  } catch {
    return undefined;
  }
}
