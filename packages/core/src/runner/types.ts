import type { QemuCpu } from "../targets.js";

/** What qus needs to know of a container engine before it runs a helper there, in no engine's terms. */
export interface EngineInfo {
  /** The engine's machine as a QEMU cpu (`x86_64`, `aarch64`); undefined when qus does not know it. */
  readonly cpu: QemuCpu | undefined;
  /** The engine's own name for its architecture (`x86_64`, `amd64`), for messages. */
  readonly architecture: string;
  /** The engine's version. */
  readonly version: string;
  /** Rootless engine: its containers cannot register in the host kernel. */
  readonly rootless: boolean;
  /** User namespace remapping: root in its containers is not root on the host. */
  readonly userns: boolean;
  /** Where the engine was reached (context, connection or host), for reports and errors. */
  readonly endpoint: string;
}

/**
 * How much a helper container may do. `least`: only what its request needs (to mount binfmt_misc: the capability
 * to mount, and no confinement that forbids it). `full`: everything the engine can give (docker's `--privileged`).
 */
export type Privilege = "least" | "full";

/** One helper container run, as intent: each runner turns it into its engine's terms. */
export interface RunSpec {
  readonly image: string;
  /** Program and arguments inside the container. */
  readonly command: readonly string[];
  readonly entrypoint?: string;
  /** The container mounts binfmt_misc in its own mount namespace, to read and write the kernel's table. */
  readonly needsBinfmtMount: boolean;
  readonly privilege: Privilege;
  /** Platform of the image to run (`linux/arm64`), when not the engine's own. */
  readonly platform?: string;
  /**
   * How long the container may run. When it is over, the container is stopped and removed, and the outcome is
   * `timed-out`. The runner's default when absent.
   */
  readonly timeoutMs?: number;
}

/**
 * Why a container's program never ran, as its runner classified the engine's words once. `exec-format`: the kernel
 * has no handler for the program's format (ENOEXEC). `not-found`: the program, or the interpreter its entry names,
 * is not there (ENOENT). `no-such-image`: the engine does not have the image. `refused`: the engine or the kernel
 * refused the privilege asked (capabilities, confinement, an authorization plugin). `other`: anything else the
 * engine refused, in its `detail`.
 */
export type NotStartedReason = "exec-format" | "not-found" | "no-such-image" | "refused" | "other";

/**
 * How one container run ended, typed by its runner (the only place that reads its engine's words and statuses):
 * - `ran`: the program ran and ended with `exitCode` (`signal` when the runner knows a signal ended it);
 * - `not-started`: the engine or the kernel did not start the program, for `reason` (`detail`: the engine's words);
 * - `timed-out`: the run outlived its bound and was stopped and removed (the output until then is kept);
 * - `interrupted`: the run was ended from outside before its end (its client or the engine killed it).
 * An engine that does not answer is no outcome: runners throw QUS_ENGINE_UNREACHABLE.
 */
export type ContainerOutcome =
  | {
      readonly kind: "ran";
      readonly exitCode: number;
      readonly signal?: string;
      readonly stdout: string;
      readonly stderr: string;
    }
  | { readonly kind: "not-started"; readonly reason: NotStartedReason; readonly detail: string }
  | { readonly kind: "timed-out"; readonly stdout: string; readonly stderr: string }
  | { readonly kind: "interrupted"; readonly detail: string; readonly stdout: string; readonly stderr: string };

/** One image build: a folder with a `Dockerfile`, built on the engine and tagged. */
export interface BuildSpec {
  /** The build context: a folder whose `Dockerfile` uses only what the folder holds (no registry). */
  readonly contextDir: string;
  /** Tags to give the image, the first one named in messages. */
  readonly tags: readonly string[];
  /** How long the build may take; the runner's default when absent. */
  readonly timeoutMs?: number;
  /** The image's platform (`linux/arm64`) when not the engine's own; its RUN steps then run under emulation. */
  readonly platform?: string;
}

/**
 * The seam the container driver runs helper containers through: the docker CLI by default, the podman CLI with
 * `--driver podman`; adapters pass their own (Testcontainers' engine client, Dagger).
 */
export interface ContainerRunner {
  /** The runner's name, shown in reports as the driver (`docker`, `podman`). */
  readonly name: string;
  /** Where the runner goes (a context, a connection, a host), in words, for reports and errors. */
  readonly endpoint: string;
  /**
   * The engine's facts. Throws QUS_ENGINE_UNREACHABLE when it cannot be reached or does not answer in time,
   * QUS_USAGE when the context or host it was pointed at does not exist or cannot be read.
   */
  info(): Promise<EngineInfo>;
  /** A privilege level in the engine's own words, for reports (`--cap-add SYS_ADMIN`, `--privileged`). */
  describePrivilege(privilege: Privilege): string;
  /**
   * The image's labels, or undefined when the engine does not have the image. Throws (as {@link info}) when the
   * engine cannot answer: an engine that stopped answering is not an image that is missing.
   */
  imageLabels(image: string): Promise<Record<string, string> | undefined>;
  /**
   * Runs one short-lived container to its end and removes it, also when it had to be stopped (its time was over,
   * qus was interrupted). Throws QUS_ENGINE_UNREACHABLE when the engine stopped answering.
   */
  run(spec: RunSpec): Promise<ContainerOutcome>;
  /**
   * Runs a program (its bytes) as the only process of a container of the image, which needs no shell:
   * how qus's probes run in images that have none. Removes the container. Bounded as {@link run}.
   */
  runProgram(spec: Omit<RunSpec, "command" | "entrypoint">, program: Uint8Array): Promise<ContainerOutcome>;
  /** Pulls an image; false when it cannot be had (no registry, no network, no answer in time). */
  pull(image: string): Promise<boolean>;
  /** Builds and tags an image. Throws QUS_IMAGE_BUILD_FAILED when the build fails, QUS_TIMEOUT past its bound. */
  buildImage(spec: BuildSpec): Promise<void>;
}
