import type { ExecResult } from "../exec.js";

/** What qus needs to know of a container engine before it runs a helper there. */
export interface EngineInfo {
  /** Engine's machine name as `uname -m` gives it (`x86_64`, `aarch64`). */
  readonly architecture: string;
  readonly serverVersion: string;
  /** Rootless engine: its containers cannot register in the host kernel. */
  readonly rootless: boolean;
  /** userns-remap: root in containers is not root on the host. */
  readonly userns: boolean;
  /** AppArmor confines containers: mounting binfmt_misc needs `apparmor=unconfined`. */
  readonly apparmor: boolean;
  /** Where the engine was reached (context or host), for reports and errors. */
  readonly endpoint: string;
}

/** One helper container run. */
export interface RunSpec {
  readonly image: string;
  /** Program and arguments inside the container. */
  readonly command: readonly string[];
  readonly entrypoint?: string;
  readonly privileged: boolean;
  readonly capAdd: readonly string[];
  readonly securityOpt: readonly string[];
  /** Platform of the image to run (`linux/arm64`), when not the engine's own. */
  readonly platform?: string;
  /**
   * How long the container may run. When it is over, the container is stopped and removed, and the result says
   * `timedOut: true`. The runner's default when absent.
   */
  readonly timeoutMs?: number;
}

/**
 * The seam the container driver runs helper containers through: the docker CLI by default;
 * adapters pass their own (Testcontainers' engine client, Dagger).
 */
export interface ContainerRunner {
  /** Name shown in reports (`docker`). */
  readonly name: string;
  /**
   * The engine's facts. Throws QUS_ENGINE_UNREACHABLE when it cannot be reached or does not answer in time,
   * QUS_USAGE when the context or host it was pointed at does not exist or cannot be read.
   */
  info(): Promise<EngineInfo>;
  /**
   * The image's labels, or undefined when the engine does not have the image. Throws (as {@link info}) when the
   * engine cannot answer: an engine that stopped answering is not an image that is missing.
   */
  imageLabels(image: string): Promise<Record<string, string> | undefined>;
  /**
   * Runs one short-lived container to its end and removes it, also when it had to be stopped (its time was over,
   * qus was interrupted). Throws QUS_ENGINE_UNREACHABLE when the engine stopped answering.
   */
  run(spec: RunSpec): Promise<ExecResult>;
  /**
   * Runs a program (its bytes) as the only process of a container of the image, which needs no shell:
   * how qus's probes run in images that have none. Removes the container. Bounded as {@link run}.
   */
  runProgram(spec: Omit<RunSpec, "command" | "entrypoint">, program: Uint8Array): Promise<ExecResult>;
  /** Pulls an image; false when it cannot be had (no registry, no network, no answer in time). */
  pull(image: string): Promise<boolean>;
}
