import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isQusError, type QemuCpu, type QusErrorCode, type Target } from "@qus/core";
import { buildProbe } from "@qus/core/runner";
import { onInterrupt } from "@qus/core/toolkit";
import { type BuildxCli, DEFAULT_TIMEOUTS, isNoBuilder, lastError, togetherBuildArgs } from "./buildx-command.js";
import { builderRemoved, type Proof, type ProofOptions, proveAll } from "./prove.js";

/**
 * The Dockerfile of the multi-platform proof: as {@link PROOF_DOCKERFILE}, built for every platform at once
 * (`--platform A,B`), each platform's build copying its own probe, named by BuildKit's TARGETARCH and TARGETVARIANT.
 */
export const TOGETHER_DOCKERFILE = [
  "FROM scratch",
  "ARG TARGETARCH",
  "ARG TARGETVARIANT",
  // Dockerfile variables, expanded by BuildKit for each platform of the build.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax, not a JavaScript template
  "COPY probe-${TARGETARCH}${TARGETVARIANT} /probe",
  'RUN ["/probe"]',
  "",
].join("\n");

/** The variant BuildKit drops (or adds) when it normalizes a platform: linux/arm64/v8 is linux/arm64, linux/arm linux/arm/v7. */
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: "v8", arm: "v7", amd64: "v1" };

/**
 * The names a platform's probe goes by in the build context (`probe-<arch><variant>`), under each spelling BuildKit
 * may normalize the platform to. Two platforms of one architecture share a QEMU target, so a shared name holds the
 * same probe.
 */
export function probeFileNames(platform: string): string[] {
  const [, arch = "", variant = ""] = platform.split("/");
  const fallback = DEFAULT_VARIANT[arch];
  const names = [`probe-${arch}${variant}`];
  if (fallback && variant === "") names.push(`probe-${arch}${fallback}`);
  if (fallback && variant === fallback) names.push(`probe-${arch}`);
  return names;
}

/** How the one build of all platforms ended: built, or why not (buildx's error line, or the timeout). */
export type TogetherOutcome =
  | { readonly built: true }
  | { readonly built: false; readonly detail: string; readonly code: QusErrorCode };

/**
 * Builds {@link TOGETHER_DOCKERFILE} for every platform in ONE multi-platform build (no cache, no output kept), as
 * the user's `docker buildx build --platform A,B` will run. Throws only when the builder itself is gone.
 */
export async function proveTogether(
  cli: BuildxCli,
  builder: string,
  platforms: readonly { platform: string; target: Target }[],
  options: ProofOptions = {},
): Promise<TogetherOutcome> {
  const dir = mkdtempSync(join(tmpdir(), "qus-proof-"));
  const forget = onInterrupt(() => rmSync(dir, { recursive: true, force: true }));
  try {
    writeFileSync(join(dir, "Dockerfile"), TOGETHER_DOCKERFILE);
    const probes = new Map<string, QemuCpu>();
    for (const { platform, target } of platforms)
      for (const name of probeFileNames(platform)) probes.set(name, target.cpu);
    for (const [name, cpu] of probes) {
      writeFileSync(join(dir, name), buildProbe(cpu));
      chmodSync(join(dir, name), 0o755);
    }
    const args = togetherBuildArgs(
      builder,
      platforms.map((item) => item.platform),
      dir,
    );
    let result: Awaited<ReturnType<BuildxCli["run"]>>;
    try {
      result = await cli.run(args, { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUTS.build });
    } catch (error) {
      if (isQusError(error) && error.code === "QUS_TIMEOUT")
        return { built: false, detail: error.message, code: "QUS_TIMEOUT" };
      throw error;
    }
    if (result.exitCode === 0) return { built: true };
    if (isNoBuilder(result)) throw builderRemoved(builder);
    return { built: false, detail: lastError(result), code: "QUS_EXEC_FAILED" };
  } finally {
    forget();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Proves platforms. Several: in ONE multi-platform build ({@link proveTogether}), as the user's build will run; when
 * it fails, a build per platform ({@link proveAll}) tells which failed and why. When each builds alone but not
 * together, none is proven: the together build's error is every platform's, since the user's build would fail so.
 */
export async function proveMany(
  cli: BuildxCli,
  builder: string,
  platforms: readonly { platform: string; target: Target }[],
  options: ProofOptions & { readonly parallel?: number } = {},
): Promise<Proof[]> {
  if (platforms.length <= 1) return proveAll(cli, builder, platforms, options);
  const together = await proveTogether(cli, builder, platforms, options);
  if (together.built) return platforms.map(({ platform }) => ({ platform, proven: true }));
  const alone = await proveAll(cli, builder, platforms, options);
  if (alone.some((proof) => !proof.proven)) return alone;
  const detail = `it builds alone, but the one build of ${platforms.map((item) => item.platform).join(",")} failed: ${together.detail}`;
  return platforms.map(({ platform }) => ({ platform, proven: false, detail, code: together.code }));
}
