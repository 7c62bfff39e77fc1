import type { Driver } from "@qus/core";
import type { Exec } from "@qus/core/runner";
import type { BuildxTimeouts } from "./buildx-command.js";

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  /** Platforms as users write them: `linux/arm64,linux/arm/v7`, `riscv64`, `all`. */
  readonly platforms: string | readonly string[];
  /** Builder name; the context's own builder for the docker driver, `qus` for docker-container. */
  readonly builder?: string;
  /** buildx driver: `docker` (the engine's built-in BuildKit) or `docker-container`. */
  readonly driver?: "docker" | "docker-container";
  /** `key=value` options for a docker-container builder qus creates (`--driver-opt`). */
  readonly driverOpts?: readonly string[];
  /** Make it the current builder (`buildx use`), once every platform is proven. */
  readonly use?: boolean;
  /** Replace conflicting binfmt entries, and restart an existing docker-container builder's nodes. */
  readonly replace?: boolean;
  /** Ensure binfmt and inspect nothing else: report what would be done. */
  readonly dryRun?: boolean;
  /** docker context to use. */
  readonly context?: string;
  /** Helper image of the binfmt container driver. */
  readonly image?: string;
  /** The binfmt helper: true starts with full privilege, false never escalates, unset escalates when least privilege is refused. */
  readonly privileged?: boolean;
  /** Where binfmt is ensured; the kernel behind the engine (container driver) by default. */
  readonly binfmtDriver?: Driver;
  /**
   * Where binfmt is ensured for a node of the builder on another engine (its endpoint: a docker context or an
   * engine address); the container driver on that engine by default.
   */
  readonly nodeBinfmtDriver?: (endpoint: string) => Driver;
  /** Per-command timeouts, in milliseconds ({@link DEFAULT_TIMEOUTS} for those left out). */
  readonly timeouts?: Partial<BuildxTimeouts>;
  /** How processes run (core's {@link execProcess} by default): a seam for tests. */
  readonly exec?: Exec;
}
