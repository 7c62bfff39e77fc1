import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProbe, type Target } from "@qus/core";
import { type BuildxCli, proofBuildArgs, tail } from "./buildx-command.js";

/** What a proof build showed for one platform. */
export interface Proof {
  readonly platform: string;
  readonly proven: boolean;
  readonly reason?: string;
}

/** The Dockerfile of a proof: no base image (works offline); the RUN step executes qus's probe for the platform. */
export const PROOF_DOCKERFILE = 'FROM scratch\nCOPY probe /probe\nRUN ["/probe"]\n';

/**
 * Proves that a builder builds a platform: a FROM scratch image whose RUN step executes the platform's probe,
 * built without cache so it really runs. A listed platform is only a claim; this is the proof.
 */
export async function proveOne(cli: BuildxCli, builder: string, platform: string, target: Target): Promise<Proof> {
  const dir = mkdtempSync(join(tmpdir(), "qus-proof-"));
  try {
    writeFileSync(join(dir, "Dockerfile"), PROOF_DOCKERFILE);
    writeFileSync(join(dir, "probe"), buildProbe(target.cpu));
    chmodSync(join(dir, "probe"), 0o755);
    const result = await cli.run(proofBuildArgs(builder, platform, dir));
    if (result.exitCode === 0) return { platform, proven: true };
    return { platform, proven: false, reason: describeFailure(tail(result, 6)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeFailure(detail: string): string {
  if (/exec format error/i.test(detail))
    return `exec format error: no working emulator for this platform on the builder (${detail})`;
  if (/no match for platform|does not support/i.test(detail))
    return `the builder does not offer this platform (${detail})`;
  return detail;
}

/** Proves platforms with at most `parallel` builds at a time. */
export async function proveAll(
  cli: BuildxCli,
  builder: string,
  platforms: readonly { platform: string; target: Target }[],
  parallel = 2,
): Promise<Proof[]> {
  const proofs: Proof[] = new Array(platforms.length);
  let next = 0;
  const worker = async () => {
    while (next < platforms.length) {
      const index = next++;
      const item = platforms[index];
      if (item) proofs[index] = await proveOne(cli, builder, item.platform, item.target);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, platforms.length) }, worker));
  return proofs;
}
