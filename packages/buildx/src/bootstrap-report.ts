import type { QusErrorCode, Report } from "@qus/core";
import type { ProbeFailureKind } from "@qus/core/runner";
import type { BuilderNode } from "./inspect.js";

/** One requested platform on the builder. */
export interface PlatformProof {
  readonly platform: string;
  /** Some node lists it. A claim only: buildkit caches what it detected. */
  readonly listed: boolean;
  /** Runs natively on the builder's machine: no emulation needed. */
  readonly native: boolean;
  /** A build whose RUN step executed qus's probe for it succeeded. */
  readonly proven: boolean;
  /**
   * How its proof failed, as a stable kind (as a probe's `failure` in core's reports): `no-handler`,
   * `interpreter-unreachable`, `crashed`, `timeout` (the build was killed at its timeout) or `exit-status`. Absent
   * when proven, and when the build failed before the probe ran.
   */
  readonly failure?: ProbeFailureKind;
  /** The data behind it: exit status, signal, the runtime's exec error, the command killed, or buildx's error. */
  readonly detail?: string;
  /** Why it is not proven, in words: core's words for the kind, or buildx's error when there is no kind. */
  readonly reason?: string;
  /** What to do about it, with commands safe to paste. */
  readonly hint?: string;
  /** Why it is not proven: `QUS_TIMEOUT` (the proof build was killed at its timeout) or `QUS_EXEC_FAILED`. */
  readonly code?: QusErrorCode;
}

/** What {@link bootstrap} did and proved. */
export interface BootstrapReport {
  /** Changes only when the shape does. */
  readonly schemaVersion: 1;
  /** The builder's name (the docker driver's is the context's). */
  readonly builder: string;
  /** Its buildx driver, as buildx reports it. */
  readonly driver: string;
  /**
   * Why qus picked this builder instead of the engine's own: absent when the options named it. Set when several
   * platforms were asked of an engine whose docker-driver builder cannot build them at once (classic image store).
   */
  readonly reason?: string;
  /** This run created the builder. */
  readonly created: boolean;
  /** The builder's nodes were restarted because they booted before binfmt was fixed (or `replace` asked). */
  readonly refreshed: boolean;
  /** The builder was made the current one (`use` asked, and every platform proven). */
  readonly used: boolean;
  /** The builder's nodes after bootstrapping, as `buildx inspect` shows them (none in a dry run). */
  readonly nodes: readonly BuilderNode[];
  /** What ensuring binfmt on the builder's kernel did: core's report, as `qus ensure --json` gives it. */
  readonly binfmt: Report;
  /** The same on the engine behind each other node of a docker-container builder (nodes appended elsewhere). */
  readonly nodeBinfmt: readonly NodeBinfmt[];
  /** Each requested platform, in the order asked. */
  readonly platforms: readonly PlatformProof[];
  readonly warnings: readonly string[];
  /** Nothing was created, restarted or built: binfmt was planned only. */
  readonly dryRun: boolean;
  /** binfmt is ok and every platform is proven (in a dry run: binfmt would be ok). */
  readonly ok: boolean;
}

/** binfmt on the engine behind one more node of a builder: core's report, or why it could not be ensured there. */
export interface NodeBinfmt {
  readonly node: string;
  /** The node's endpoint: a docker context, or an engine address (unix://, tcp://, ssh://). */
  readonly endpoint: string;
  readonly report?: Report;
  readonly error?: { readonly code: string; readonly message: string; readonly hint?: string };
}
