import { isQusError, QusError } from "../errors.js";
import { resolvePlatforms } from "../platform.js";
import type { EngineInfo } from "../runner/types.js";
import { formatCommand } from "../shell-quote.js";
import { canonicalPlatform, type Target, targetByCpu } from "../targets.js";
import { debianMachines } from "./debian.js";

/** What an installer image is built for: its target, Debian's name for its architecture, the platform asked. */
export interface BuildTarget {
  readonly target: Target;
  readonly arch: string;
  /** The OCI platform asked (`linux/arm64`), undefined when the image is the engine's own architecture. */
  readonly platform?: string;
}

/** The image's target: the one platform asked for (`linux/arm64`, `arm64`), else the engine's architecture. */
export function buildTarget(info: Pick<EngineInfo, "cpu" | "architecture">, platform?: string): BuildTarget {
  if (platform === undefined) {
    const target = info.cpu ? targetByCpu(info.cpu) : undefined;
    if (!target?.debianArch) {
      throw new QusError("QUS_IMAGE_BUILD_FAILED", `no Debian architecture for the engine's ${info.architecture}`, {
        hint: `qus image build knows ${debianMachines().join(", ")}; or name one with --platform`,
      });
    }
    return { target, arch: target.debianArch };
  }
  const targets = resolvePlatforms(platform);
  const [target] = targets;
  if (targets.length !== 1 || !target) {
    throw new QusError("QUS_USAGE", `--platform ${JSON.stringify(platform)} names ${targets.length} platforms`, {
      hint: "build one platform at a time (--platform linux/arm64), then join them in one image list when pushing",
    });
  }
  if (!target.debianArch || target.debianPorts) {
    throw new QusError(
      "QUS_USAGE",
      `Debian's main archive has no busybox-static and qemu-user-static for ${platform}`,
      {
        hint: `build for a platform Debian releases (${debianMachines().join(", ")})`,
      },
    );
  }
  return { target, arch: target.debianArch, platform: canonicalPlatform(target) };
}

/**
 * A failed build of another architecture's image: its RUN step ran that architecture's busybox under emulation
 * on the engine, so say that, and how to make the platform run there. Any other error is returned as it is.
 */
export function foreignBuildFailure(
  error: unknown,
  info: Pick<EngineInfo, "cpu" | "architecture">,
  built: BuildTarget,
  runnerName: string,
): unknown {
  if (!built.platform || built.target.cpu === info.cpu) return error;
  if (!isQusError(error) || error.code !== "QUS_IMAGE_BUILD_FAILED") return error;
  const driver = runnerName === "docker" || runnerName === "podman" ? ["--driver", runnerName] : [];
  const ensure = formatCommand(["qus", "ensure", ...driver, "--platforms", built.platform]);
  return new QusError(
    "QUS_IMAGE_BUILD_FAILED",
    `${error.message} (the image is ${built.platform}: its RUN step runs ${built.platform} programs under emulation on this ${info.architecture} engine, which must run ${built.platform} first)`,
    { hint: `make ${built.platform} run on the engine, then build again: ${ensure}`, cause: error },
  );
}
