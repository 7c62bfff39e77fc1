import { cpuOfEngineArch } from "../architectures.js";
import { QusError } from "../errors.js";
import type { ExecResult } from "../exec.js";
import { formatCommand, quoteShellArg } from "../shell-quote.js";

import type { EngineFacts } from "./cli-engine.js";
import { describeRunFailure, parseInfoObject, unreachable } from "./cli-output.js";
import { createCliRunner } from "./cli-runner.js";
import type { CliRunnerOptions } from "./cli-runner-options.js";
import type { ContainerRunner } from "./types.js";

/**
 * Options of the podman CLI runner. CONTAINER_HOST and CONTAINER_CONNECTION in the environment are honoured by
 * podman itself, as is CONTAINERS_CONF.
 */
export interface PodmanCliOptions extends CliRunnerOptions {
  /** `podman --connection NAME`: one of `podman system connection list`. */
  readonly connection?: string;
  /** The podman client; `podman` on PATH by default. */
  readonly podman?: string;
}

const UNREACHABLE_HINT =
  "run qus as root where podman runs its containers (rootful), or point CONTAINER_HOST / --context at a podman service that answers";

/** Where the podman client will go, in words: a connection, CONTAINER_HOST, or this machine's podman. */
export function describePodmanEndpoint(connection: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (connection !== undefined) return `connection ${quoteShellArg(connection)}`;
  if (env.CONTAINER_HOST) return env.CONTAINER_HOST;
  if (env.CONTAINER_CONNECTION) return `connection ${quoteShellArg(env.CONTAINER_CONNECTION)}`;
  return "the default endpoint";
}

interface PodmanInfo {
  host: {
    arch?: string;
    idMappings?: { uidmap?: unknown[] | null } | null;
    security?: { rootless?: boolean; apparmorEnabled?: boolean; selinuxEnabled?: boolean };
  };
  version: { Version?: string };
}

/** Parses `podman info --format json`. */
export function parsePodmanInfo(json: string, endpoint: string): EngineFacts {
  const info = parseInfoObject<PodmanInfo>("podman", json);
  const version = info.version?.Version;
  if (!version || !info.host) throw unreachable(endpoint, "podman info reported no engine", UNREACHABLE_HINT);
  const security = info.host.security ?? {};
  const rootless = security.rootless === true;
  const mapped = (info.host.idMappings?.uidmap ?? []).length > 0;
  const architecture = info.host.arch || "unknown";
  return {
    info: {
      cpu: cpuOfEngineArch(architecture),
      architecture,
      version,
      rootless,
      // A rootful podman whose own process runs in a user namespace: root in its containers is not root here.
      userns: !rootless && mapped,
      endpoint,
    },
    confinement: { apparmor: security.apparmorEnabled === true, selinux: security.selinuxEnabled === true },
  };
}

/** The podman CLI's own words for an endpoint it cannot use, and for an engine that cannot start containers. */
const CONNECTION_NOT_FOUND = /"((?:[^"\\]|\\.)*)" service destination not found/i;
const CANNOT_CONNECT = /Cannot connect to Podman|unable to connect to Podman socket/i;
// These VMs lack CAP_SYS_RESOURCE: podman's default nofile/nproc limits then cannot be set in any container.
const RLIMIT = /error setting rlimits?\b|setting rlimit type \d+/i;

/** Errors that are about where podman goes or the engine as a whole: the same for every command. */
function podmanEndpointFailure(
  connection: string | undefined,
  endpoint: string,
  result: ExecResult,
  what: string,
): QusError | undefined {
  if (result.exitCode === 0) return undefined;
  const text = `${result.stderr}\n${result.stdout}`;
  const found = CONNECTION_NOT_FOUND.exec(text);
  if (found) {
    const name = connection ?? process.env.CONTAINER_CONNECTION ?? found[1] ?? "";
    const from = connection !== undefined ? "" : process.env.CONTAINER_CONNECTION ? " (from CONTAINER_CONNECTION)" : "";
    return new QusError("QUS_USAGE", `the podman connection ${quoteShellArg(name)}${from} does not exist`, {
      hint: `list the connections with ${formatCommand(CONNECTIONS)} and pass one of them with --context`,
    });
  }
  if (CANNOT_CONNECT.test(text)) {
    return unreachable(endpoint, `${what} failed: ${describeRunFailure(result)}`, UNREACHABLE_HINT);
  }
  if (RLIMIT.test(text)) {
    return new QusError(
      "QUS_PRIVILEGE_DENIED",
      `podman at ${endpoint} cannot start containers: it may not set its default resource limits in them (${describeRunFailure(result)})`,
      {
        hint: "set `default_ulimits = []` under [containers] in a containers.conf (tools/setup-podman.sh writes /etc/containers/containers.conf.d/qus.conf; or point CONTAINERS_CONF at one)",
      },
    );
  }
  return undefined;
}

/** A {@link ContainerRunner} on the podman CLI (rootful Podman), with argv arrays, every call bounded in time. */
export function createPodmanCliRunner(options: PodmanCliOptions = {}): ContainerRunner {
  const { connection } = options;
  const endpoint = describePodmanEndpoint(connection);
  return createCliRunner(
    {
      ...PODMAN,
      program: options.podman ?? "podman",
      target:
        connection === undefined
          ? undefined
          : { option: "--connection", noun: "podman connection", value: connection, list: CONNECTIONS },
      endpoint,
      endpointFailure: (result, what) => podmanEndpointFailure(connection, endpoint, result, what),
    },
    options,
  );
}

const CONNECTIONS = ["podman", "system", "connection", "list"];

/** What every podman runner shares. */
const PODMAN = {
  name: "podman",
  hints: {
    install: "install podman (apt-get install podman; tools/setup-podman.sh), or use --driver local",
    unreachable: UNREACHABLE_HINT,
    buildTimeout: "check the engine (podman ps, podman info), then run qus image build --driver podman again",
  },
  infoArgs: ["info", "--format", "json"],
  parseInfo: parsePodmanInfo,
  noSuchImage: /image not known|no such image/i,
} as const;
