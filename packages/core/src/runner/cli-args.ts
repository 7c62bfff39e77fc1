import type { Confinement } from "./cli-engine.js";
import type { Privilege, RunSpec } from "./types.js";

// Build a command: the argv of each docker or podman command a CLI runner runs (after the global options).

/** Every container qus starts is named with this prefix and a random suffix, so it can be removed by name. */
export const CONTAINER_NAME_PREFIX = "qus-helper-";
/** Where {@link ContainerRunner.runProgram} puts the program inside the container. */
export const PROGRAM_PATH = "/qus-program";

/** A fresh container name: `qus-helper-` and 12 random hex digits. */
export function helperContainerName(): string {
  // Unique, not secret: Math.random (seeded per process) spares every run loading node:crypto (~10 ms).
  const suffix = Math.floor(Math.random() * 2 ** 48)
    .toString(16)
    .padStart(12, "0");
  return `${CONTAINER_NAME_PREFIX}${suffix}`;
}

/** A privilege level as docker and podman spell it, for reports. */
export function describeCliPrivilege(privilege: Privilege): string {
  return privilege === "full" ? "--privileged" : "--cap-add SYS_ADMIN";
}

/**
 * The options that give a container what its spec asks for: `--privileged` for full privilege; for least, only
 * what a mount of binfmt_misc needs: CAP_SYS_ADMIN, and AppArmor or SELinux lifted where the engine uses them.
 */
export function privilegeArgs(spec: Pick<RunSpec, "needsBinfmtMount" | "privilege">, confinement: Confinement) {
  if (spec.privilege === "full") return ["--privileged"];
  if (!spec.needsBinfmtMount) return [];
  return [
    "--cap-add=SYS_ADMIN",
    ...(confinement.apparmor ? ["--security-opt=apparmor=unconfined"] : []),
    ...(confinement.selinux ? ["--security-opt=label=disable"] : []),
  ];
}

/** argv of `run` for a helper container (after the global options), for docker and podman alike. */
export function runArgs(spec: RunSpec, confinement: Confinement, name?: string): string[] {
  return ["run", "--rm", "--interactive", ...nameArgs(name), ...containerOptions(spec, confinement)];
}

/** argv of `create` for a container whose only process is a program copied in afterwards. */
export function createArgs(
  spec: Omit<RunSpec, "command" | "entrypoint">,
  confinement: Confinement,
  name?: string,
): string[] {
  return [
    "create",
    ...nameArgs(name),
    ...containerOptions({ ...spec, command: [], entrypoint: PROGRAM_PATH }, confinement),
  ];
}

function nameArgs(name: string | undefined): string[] {
  return name ? [`--name=${name}`] : [];
}

function containerOptions(spec: RunSpec, confinement: Confinement): string[] {
  return [
    "--network=none",
    "--pull=never",
    ...privilegeArgs(spec, confinement),
    ...(spec.platform ? [`--platform=${spec.platform}`] : []),
    ...(spec.entrypoint !== undefined ? [`--entrypoint=${spec.entrypoint}`] : []),
    // The image is never read as an option, whatever it starts with.
    "--",
    spec.image,
    ...spec.command,
  ];
}

/** argv of `build` of a context folder with its Dockerfile. */
export function buildArgs(contextDir: string, tags: readonly string[], platform?: string): string[] {
  const forPlatform = platform ? ["--platform", platform] : [];
  return ["build", ...forPlatform, ...tags.flatMap((tag) => ["--tag", tag]), "--", contextDir];
}
