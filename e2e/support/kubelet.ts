/**
 * Runs a pod's containers on the local Docker engine as a kubelet would: the same image, args, command, env,
 * capabilities, AppArmor and seccomp profiles, user, hostPath mounts (with their propagation) and emptyDirs shared
 * between the containers; init containers first, each to completion, then the others. No cluster runs here, so this
 * is the closest honest stand-in: what it cannot give (a real kubelet's probes, restarts, the API's downward values
 * other than the node name) the tests do by hand and say so.
 */

interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  mountPropagation?: string;
}
interface SecurityContext {
  runAsUser?: number;
  capabilities?: { add?: string[]; drop?: string[] };
  appArmorProfile?: { type: string };
  seccompProfile?: { type: string };
  privileged?: boolean;
}
/** A container of a pod spec, as far as this stand-in reads it. */
export interface PodContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  securityContext?: SecurityContext;
  volumeMounts?: VolumeMount[];
  readinessProbe?: { exec?: { command: string[] } };
}
/** The parts of a pod spec this stand-in reads. */
export interface PodSpec {
  initContainers?: PodContainer[];
  containers: PodContainer[];
  volumes: { name: string; hostPath?: { path: string }; emptyDir?: unknown }[];
}

const PROPAGATION: Record<string, string> = { HostToContainer: "rslave", Bidirectional: "rshared", None: "rprivate" };

/**
 * `docker run` arguments for one container of the pod (detached unless `foreground`), named `<prefix>-<name>`.
 * `emptyDirs` gives the host folder standing in for each emptyDir volume, shared by the pod's containers.
 */
export function dockerRunArgs(
  pod: PodSpec,
  container: PodContainer,
  options: { prefix: string; nodeName: string; emptyDirs: ReadonlyMap<string, string>; foreground: boolean },
): string[] {
  const args = ["run", options.foreground ? "--rm" : "-d", "--name", `${options.prefix}-${container.name}`];
  const security = container.securityContext ?? {};
  if (security.privileged) args.push("--privileged");
  for (const cap of security.capabilities?.drop ?? []) args.push("--cap-drop", cap);
  for (const cap of security.capabilities?.add ?? []) args.push("--cap-add", cap);
  if (security.appArmorProfile?.type === "Unconfined") args.push("--security-opt", "apparmor=unconfined");
  if (security.seccompProfile?.type === "Unconfined") args.push("--security-opt", "seccomp=unconfined");
  if (security.runAsUser !== undefined) args.push("--user", String(security.runAsUser));
  for (const variable of container.env ?? []) {
    const value =
      variable.valueFrom?.fieldRef?.fieldPath === "spec.nodeName" ? options.nodeName : (variable.value ?? "");
    args.push("--env", `${variable.name}=${value}`);
  }
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes.find((candidate) => candidate.name === mount.name);
    const source = volume?.hostPath?.path ?? options.emptyDirs.get(mount.name);
    if (!source) throw new Error(`volume ${mount.name} has no stand-in here`);
    const modes = [mount.readOnly ? "ro" : "rw", PROPAGATION[mount.mountPropagation ?? "None"] ?? "rprivate"];
    args.push("--volume", `${source}:${mount.mountPath}:${modes.join(",")}`);
  }
  if (container.command) args.push("--entrypoint", container.command[0] ?? "");
  args.push(container.image, ...(container.command?.slice(1) ?? []), ...(container.args ?? []));
  return args;
}
