import type { Confinement } from "./cli-engine.js";
import type { Privilege, RunSpec } from "./types.js";

/**
 * What a runner on the Docker Engine API (dockerode, Testcontainers' client) shares: a helper container's intent
 * in the API's terms, as the CLI runners put it in the CLI's (cli-runner.ts).
 */

/** The body of `POST /containers/create` for a helper container: the fields qus sets, in the API's names. */
export interface DockerCreateRequest {
  readonly name: string;
  readonly Image: string;
  readonly Entrypoint?: readonly string[];
  readonly Cmd: readonly string[];
  readonly AttachStdout: true;
  readonly AttachStderr: true;
  readonly Tty: false;
  readonly OpenStdin: false;
  readonly NetworkDisabled: true;
  readonly Labels: Readonly<Record<string, string>>;
  readonly HostConfig: {
    /** Removed by the engine when it ends, also when qus was interrupted meanwhile. */
    readonly AutoRemove: true;
    readonly NetworkMode: "none";
    readonly Privileged: boolean;
    readonly CapAdd: readonly string[];
    readonly SecurityOpt: readonly string[];
  };
  /** `linux/arm64`: the API takes it as the create call's `platform` query parameter, not in the body. */
  readonly platform?: string;
}

/** The label every helper container carries, so a left-behind one can be found (`docker ps -a --filter label=...`). */
export const HELPER_LABEL = "org.qus.helper";

/** A privilege level in the Engine API's words, for reports. */
export function describeApiPrivilege(privilege: Privilege): string {
  return privilege === "full" ? "Privileged" : "CapAdd SYS_ADMIN";
}

/**
 * The create request of a helper container for a spec: `Privileged` for full privilege; for least, only what a
 * mount of binfmt_misc needs: CAP_SYS_ADMIN, and AppArmor or SELinux lifted where the engine uses them.
 */
export function createRequest(spec: RunSpec, confinement: Confinement, name: string): DockerCreateRequest {
  const least = spec.privilege === "least" && spec.needsBinfmtMount;
  return {
    name,
    Image: spec.image,
    ...(spec.entrypoint !== undefined ? { Entrypoint: [spec.entrypoint] } : {}),
    Cmd: spec.command,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    NetworkDisabled: true,
    Labels: { [HELPER_LABEL]: "true" },
    HostConfig: {
      AutoRemove: true,
      NetworkMode: "none",
      Privileged: spec.privilege === "full",
      CapAdd: least ? ["SYS_ADMIN"] : [],
      SecurityOpt: least
        ? [...(confinement.apparmor ? ["apparmor=unconfined"] : []), ...(confinement.selinux ? ["label=disable"] : [])]
        : [],
    },
    ...(spec.platform ? { platform: spec.platform } : {}),
  };
}
