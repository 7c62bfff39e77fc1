import { existsSync, readFileSync } from "node:fs";
import { type ExecResult, execProcess } from "../exec.js";
import { getFromSocket, localDockerSocket } from "./docker-socket.js";
import type { EngineOutcome } from "./engine-outcome.js";

/**
 * The local Docker engine's API, for the two questions every container run of qus asks first (the engine's info,
 * the installer image's labels): one HTTP request on the socket instead of a docker CLI process each. Its answers
 * take the shape of the CLI's (an {@link EngineOutcome} with the CLI's JSON in stdout), so callers read one shape;
 * an answer that is not plain is undefined, and the caller asks the CLI, whose words the errors keep.
 */
export interface EngineApi {
  info(timeoutMs: number): Promise<EngineOutcome | undefined>;
  imageLabels(image: string, timeoutMs: number): Promise<EngineOutcome | undefined>;
}

/**
 * The API of the engine a docker client with these global options reaches, when that is the local socket (no
 * context or host, nothing in the environment or the CLI's config pointing elsewhere); undefined otherwise.
 */
export function localEngineApi(engine: string, global: readonly string[]): EngineApi | undefined {
  if (engine === "podman") return localPodman(global);
  if (engine !== "docker" || global.length > 0) return undefined;
  const socket = localDockerSocket({});
  if (socket === undefined) return undefined;
  return {
    async info(timeoutMs) {
      const answer = await getFromSocket(socket, "/info", timeoutMs);
      if (answer === "timeout") return timedOut();
      const info = answer?.status === 200 ? jsonObject(answer.body) : undefined;
      // The CLI's info names the client's context too: the docker driver's builder is named after it.
      return info && ran(JSON.stringify({ ...info, ClientInfo: { Context: "default" } }));
    },
    async imageLabels(image, timeoutMs) {
      const path = `/images/${image.split("/").map(encodeURIComponent).join("/")}/json`;
      const answer = await getFromSocket(socket, path, timeoutMs);
      if (answer === "timeout") return timedOut();
      if (answer?.status === 404) return noSuchImage(image);
      const record = answer?.status === 200 ? jsonObject(answer.body) : undefined;
      const labels = (record?.Config as { Labels?: unknown } | undefined)?.Labels ?? null;
      return record && ran(JSON.stringify(labels));
    },
  };
}

/**
 * This machine's podman, asked nothing it need not be: `podman info` takes about half a second (it sizes storage),
 * more than half of a container run, while what qus reads of it is this machine's own (architecture, root or not,
 * AppArmor and SELinux, read where podman reads them) and its version (`podman version`, 70 ms). Only with no
 * connection, CONTAINER_HOST or CONTAINER_CONNECTION: a remote podman is asked.
 */
function localPodman(global: readonly string[], env: NodeJS.ProcessEnv = process.env): EngineApi | undefined {
  if (global.length > 0 || env.CONTAINER_HOST || env.CONTAINER_CONNECTION) return undefined;
  return {
    async info(timeoutMs) {
      const version = await localPodmanVersion(timeoutMs);
      if (version === undefined) return undefined;
      const rootless = process.getuid?.() !== 0;
      const info = {
        host: {
          arch: GO_ARCH[process.arch] ?? process.arch,
          // Root here inside a user namespace: root in its containers is not the host's root.
          idMappings: { uidmap: !rootless && !hostUidMap() ? [{ container_id: 0 }] : [] },
          security: { rootless, apparmorEnabled: !rootless && apparmorEnabled(), selinuxEnabled: selinuxEnabled() },
        },
        version: { Version: version },
      };
      return ran(JSON.stringify(info));
    },
    imageLabels: async () => undefined,
  };
}

/** Node's names for machines, as Go (and so podman) names them. */
const GO_ARCH: Readonly<Record<string, string>> = { x64: "amd64", ia32: "386", ppc64: "ppc64le" };

async function localPodmanVersion(timeoutMs: number): Promise<string | undefined> {
  const result = await execProcess("podman", ["version", "--format", "{{.Client.Version}}"], { timeoutMs });
  const version = result.exitCode === 0 ? result.stdout.trim() : "";
  return /^\d+\.\d+/.test(version) ? version : undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** AppArmor as podman (containers/common) finds it: securityfs shows it, and the module says it is enabled. */
function apparmorEnabled(): boolean {
  return (
    existsSync("/sys/kernel/security/apparmor") &&
    readText("/sys/module/apparmor/parameters/enabled")?.startsWith("Y") === true
  );
}

/** SELinux as podman (go-selinux) finds it: selinuxfs mounted with its enforce file. */
function selinuxEnabled(): boolean {
  return existsSync("/sys/fs/selinux/enforce");
}

/** This process's user namespace is the host's (the whole identity map). */
function hostUidMap(): boolean {
  return /^\s*0\s+0\s+4294967295\s*$/.test(readText("/proc/self/uid_map") ?? "");
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const result = (fields: Partial<ExecResult>): ExecResult => ({
  exitCode: 0,
  signal: undefined,
  stdout: "",
  stderr: "",
  startError: undefined,
  timedOut: false,
  ...fields,
});

const ran = (stdout: string): EngineOutcome => ({ kind: "ran", result: result({ stdout }) });
const timedOut = (): EngineOutcome => ({ kind: "timed-out", result: result({ exitCode: undefined, timedOut: true }) });
// In the CLI's words, which the runners read for a missing image.
const noSuchImage = (image: string): EngineOutcome => ({
  kind: "refused",
  failure: "no-such-image",
  result: result({ exitCode: 1, stderr: `Error: No such image: ${image}` }),
});
