import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { isQusError, QusError, type QusErrorCode, type Target } from "@qus/core";
import { buildProbe, type ExecResult, type ProbeFailureKind, probeStepEnd } from "@qus/core/runner";
import { onInterrupt } from "@qus/core/toolkit";
import { type BuildxCli, DEFAULT_TIMEOUTS, isNoBuilder, lastError, proofBuildArgs } from "./buildx-command.js";

/** What a proof build showed for one platform, as data: words for it come from core (`describeFailure`). */
export interface Proof {
  readonly platform: string;
  readonly proven: boolean;
  /**
   * How the probe in the build's RUN step failed (`timeout`: the build was killed at its timeout); absent when
   * the build failed before the probe ran (the builder refused the platform, for example).
   */
  readonly failure?: ProbeFailureKind;
  /**
   * The signal, the exit status or the runtime's exec error; for a timeout, the command killed; for a build that
   * failed before the probe ran, buildx's own error line.
   */
  readonly detail?: string;
  /** Why it is not proven: `QUS_TIMEOUT` (killed at its timeout) or `QUS_EXEC_FAILED` (the build failed). */
  readonly code?: QusErrorCode;
}

/** Options of a proof. */
export interface ProofOptions {
  /** The proof build is killed after this long, and the platform reported not proven (`QUS_TIMEOUT`). */
  readonly timeoutMs?: number;
}

/** The Dockerfile of a proof: no base image (works offline); the RUN step executes qus's probe for the platform. */
export const PROOF_DOCKERFILE = 'FROM scratch\nCOPY probe /probe\nRUN ["/probe"]\n';

/**
 * Proves that a builder builds a platform: a FROM scratch image whose RUN step executes the platform's probe,
 * built without cache so it really runs. A listed platform is only a claim; this is the proof.
 *
 * Throws only when the builder itself is gone (removed by another process); a failed or timed-out build is a
 * {@link Proof} that is not proven, with its reason and code.
 */
export async function proveOne(
  cli: BuildxCli,
  builder: string,
  platform: string,
  target: Target,
  options: ProofOptions = {},
): Promise<Proof> {
  const dir = mkdtempSync(join(tmpdir(), "qus-proof-"));
  const forget = onInterrupt(() => rmSync(dir, { recursive: true, force: true }));
  try {
    writeFileSync(join(dir, "Dockerfile"), PROOF_DOCKERFILE);
    writeFileSync(join(dir, "probe"), buildProbe(target.cpu));
    chmodSync(join(dir, "probe"), 0o755);
    const args = proofBuildArgs(builder, platform, dir);
    let result: Awaited<ReturnType<BuildxCli["run"]>>;
    try {
      result = await cli.run(args, { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUTS.build });
    } catch (error) {
      if (isQusError(error) && error.code === "QUS_TIMEOUT")
        return { platform, proven: false, failure: "timeout", detail: error.message, code: "QUS_TIMEOUT" };
      throw error;
    }
    if (result.exitCode === 0) return { platform, proven: true };
    if (isNoBuilder(result)) throw builderRemoved(builder);
    return { platform, proven: false, ...probeOutcome(result), code: "QUS_EXEC_FAILED" };
  } finally {
    forget();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The error of a proof whose builder was removed meanwhile by another process. */
export function builderRemoved(builder: string): QusError {
  return new QusError("QUS_EXEC_FAILED", `builder ${builder} was removed by another process while qus was proving it`, {
    hint: "run qus buildx again once nothing else removes the builder",
  });
}

/** How the runtime's exec of the probe failed (the errno text runc prints as `exec /probe: ...`), as a kind. */
const EXEC_ERRORS: Readonly<Record<string, ProbeFailureKind>> = {
  "exec format error": "no-handler",
  "no such file or directory": "interpreter-unreachable",
};

/**
 * How a failed proof build ended, from what BuildKit reports of its RUN step: the step's exit status
 * (`... exit code: N`; 128 + N when the probe was killed by signal N) and the runtime's exec error
 * (`exec /probe: <errno text>`). A build that failed before the probe ran has no kind: its detail is buildx's
 * own error line.
 */
export function probeOutcome(result: ExecResult): { failure?: ProbeFailureKind; detail: string } {
  const end = probeStepEnd(`${result.stdout}\n${result.stderr}`);
  if (!end) return { detail: lastError(result) };
  const kind = EXEC_ERRORS[end.errno ?? ""];
  if (kind && end.execLine !== undefined) return { failure: kind, detail: end.execLine };
  if (end.status > 128) return { failure: "crashed", detail: signalName(end.status - 128) };
  return { failure: "exit-status", detail: `status ${end.status}${end.execLine ? `: ${end.execLine}` : ""}` };
}

function signalName(signal: number): string {
  return Object.entries(constants.signals).find(([, number]) => number === signal)?.[0] ?? `signal ${signal}`;
}

/**
 * Proves platforms with at most `parallel` builds at a time. When one throws (the builder is gone), no further
 * build starts, the running ones are waited for, and the first error is thrown: no build is left running behind.
 */
export async function proveAll(
  cli: BuildxCli,
  builder: string,
  platforms: readonly { platform: string; target: Target }[],
  options: ProofOptions & { readonly parallel?: number } = {},
): Promise<Proof[]> {
  const proofs: Proof[] = new Array(platforms.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < platforms.length && !failure) {
      const index = next++;
      const item = platforms[index];
      if (!item) continue;
      try {
        proofs[index] = await proveOne(cli, builder, item.platform, item.target, options);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel ?? 2, platforms.length) }, worker));
  if (failure) throw failure.error;
  return proofs;
}
