import { QusError } from "@qus/core";
import { type EngineCommand, type Exec, execProcess } from "@qus/core/runner";
import { hostDocker } from "./host-docker.js";

/** Marks the docker contexts qus made, so it never replaces or removes one of the user's. */
export const CONTEXT_DESCRIPTION = "qus vm";

// Bound of a docker context command (it reads and writes files only): the step default.
const CONTEXT_TIMEOUT_MS = 60_000;

/** The endpoint of a VM's dockerd on the host. */
export const dockerHostOf = (port: number) => `tcp://127.0.0.1:${port}`;

/**
 * Creates (or points again) the docker context `name` at the VM's dockerd. Returns undefined when the host has no
 * docker CLI; throws when a context of that name exists and is not qus's.
 */
export async function createContext(name: string, port: number, exec: Exec = execProcess): Promise<string | undefined> {
  const docker = hostDocker(exec);
  if (!docker) return undefined;
  const existing = await describeContext(docker, name);
  if (existing !== undefined) {
    if (existing.description !== CONTEXT_DESCRIPTION) {
      throw new QusError("QUS_VM_RUNNING", `the docker context ${name} exists and is not one qus made`, {
        hint: `remove it (docker context rm ${name}) or create the VM with another --name`,
      });
    }
    await docker.run(["context", "rm", "--force", name], { timeoutMs: CONTEXT_TIMEOUT_MS });
  }
  const { result: created } = await docker.run(
    ["context", "create", name, "--description", CONTEXT_DESCRIPTION, "--docker", `host=${dockerHostOf(port)}`],
    { timeoutMs: CONTEXT_TIMEOUT_MS },
  );
  if (created.exitCode !== 0) {
    throw new QusError("QUS_VM_BOOT_FAILED", `docker context create ${name} failed: ${created.stderr.trim()}`, {
      hint: `use DOCKER_HOST=${dockerHostOf(port)} meanwhile`,
    });
  }
  return name;
}

/** Fails when a context named `name` exists that qus did not make: checked before a VM boots. */
export async function requireContextFree(name: string, exec: Exec = execProcess): Promise<void> {
  const docker = hostDocker(exec);
  const existing = docker ? await describeContext(docker, name) : undefined;
  if (existing && existing.description !== CONTEXT_DESCRIPTION) {
    throw new QusError("QUS_VM_RUNNING", `the docker context ${name} exists and is not one qus made`, {
      hint: `remove it (docker context rm ${name}) or create the VM with another --name`,
    });
  }
}

/** Removes the context `name` if qus made it for the VM on `port` (not for another VM of the same name). */
export async function removeContext(name: string, port: number | undefined, exec: Exec = execProcess): Promise<void> {
  const docker = hostDocker(exec);
  if (!docker || port === undefined) return;
  const existing = await describeContext(docker, name);
  if (existing?.description === CONTEXT_DESCRIPTION && existing.host === dockerHostOf(port)) {
    await docker.run(["context", "rm", "--force", name], { timeoutMs: CONTEXT_TIMEOUT_MS });
  }
}

/** The description and docker endpoint of the context `name`, or undefined when there is no such context. */
async function describeContext(
  docker: EngineCommand,
  name: string,
): Promise<{ description: string; host: string } | undefined> {
  const { result } = await docker.run(["context", "inspect", name], { timeoutMs: CONTEXT_TIMEOUT_MS });
  if (result.exitCode !== 0) return undefined;
  try {
    const [context] = JSON.parse(result.stdout) as [
      { Metadata?: { Description?: unknown }; Endpoints?: { docker?: { Host?: unknown } } },
    ];
    const description = context?.Metadata?.Description;
    const host = context?.Endpoints?.docker?.Host;
    return {
      description: typeof description === "string" ? description : "",
      host: typeof host === "string" ? host : "",
    };
  } catch {
    return { description: "", host: "" };
  }
}
