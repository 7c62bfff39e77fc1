import { platformNames, resolvePlatforms, type Target } from "@qus/core";
import { canonicalPlatform } from "@qus/core/toolkit";

/** One platform to prove: the OCI platform to build, and the QEMU target that runs it. */
export interface RequestedPlatform {
  readonly platform: string;
  readonly target: Target;
}

/**
 * The platforms to prove, from core's {@link resolvePlatforms} (names, aliases, `all`, its errors), each as the
 * OCI platform to build. buildx builds `linux/arm/v6` and `linux/arm/v7` apart while core resolves both to the arm
 * target, so an OCI platform of a target that was written as such is kept; a target named otherwise is built as its
 * canonical platform.
 */
export function requestedPlatforms(input: string | readonly string[]): RequestedPlatform[] {
  const targets = resolvePlatforms(input);
  // The names as written tell which variants (linux/arm/v6) were asked for.
  const written = new Set(platformNames(input).map((name) => name.toLowerCase()));
  return targets.flatMap((target) => {
    const variants = target.platforms.filter((platform) => written.has(platform));
    const canonical = canonicalPlatform(target);
    const otherwise =
      variants.length === 0 || written.has("all") || [target.cpu, ...target.aliases].some((name) => written.has(name));
    const platforms = otherwise && !variants.includes(canonical) ? [canonical, ...variants] : variants;
    return platforms.map((platform) => ({ platform, target }));
  });
}
