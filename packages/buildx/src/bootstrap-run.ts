import type { BootstrapOptions } from "./bootstrap-options.js";
import type { BuildxCli, BuildxTimeouts } from "./buildx-command.js";
import type { RequestedPlatform } from "./requested-platforms.js";

/** What every step of one {@link bootstrap} run shares, once the input is checked and the builder named. */
export interface BootstrapRun {
  readonly options: BootstrapOptions;
  readonly cli: BuildxCli;
  /** The builder's name (the docker driver's is the context's). */
  readonly name: string;
  readonly driver: "docker" | "docker-container";
  /** Make the builder current once every platform is proven. */
  readonly use: boolean;
  /** Why qus picked the builder instead of the engine's own (absent when the options decided). */
  readonly reason?: string;
  readonly timeouts: BuildxTimeouts;
  readonly requested: readonly RequestedPlatform[];
}
