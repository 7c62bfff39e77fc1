import { type Exec, execProcess, QusError } from "@qus/core";
import { findProgram } from "./tools.js";

/** Marks the docker contexts qus made, so it never replaces or removes one of the user's. */
export const CONTEXT_DESCRIPTION = "qus vm";

/** The endpoint of a VM's dockerd on the host. */
export const dockerHostOf = (port: number) => `tcp://127.0.0.1:${port}`;

/**
 * Creates (or points again) the docker context `name` at the VM's dockerd. Returns undefined when the host has no
 * docker CLI; throws when a context of that name exists and is not qus's.
 */
export async function createContext(name: string, port: number, exec: Exec = execProcess): Promise<string | undefined> {
  const docker = findProgram("docker");
  if (!docker) return undefined;
  const existing = await describeContext(docker, name, exec);
  if (existing !== undefined) {
    if (existing !== CONTEXT_DESCRIPTION) {
      throw new QusError("QUS_VM_RUNNING", `the docker context ${name} exists and is not one qus made`, {
        hint: `remove it (docker context rm ${name}) or create the VM with another --name`,
      });
    }
    await exec(docker, ["context", "rm", "--force", name]);
  }
  const created = await exec(docker, [
    "context",
    "create",
    name,
    "--description",
    CONTEXT_DESCRIPTION,
    "--docker",
    `host=${dockerHostOf(port)}`,
  ]);
  if (created.exitCode !== 0) {
    throw new QusError("QUS_VM_BOOT_FAILED", `docker context create ${name} failed: ${created.stderr.trim()}`, {
      hint: `use DOCKER_HOST=${dockerHostOf(port)} meanwhile`,
    });
  }
  return name;
}

/** Removes the context `name` if qus made it. */
export async function removeContext(name: string, exec: Exec = execProcess): Promise<void> {
  const docker = findProgram("docker");
  if (!docker) return;
  if ((await describeContext(docker, name, exec)) === CONTEXT_DESCRIPTION) {
    await exec(docker, ["context", "rm", "--force", name]);
  }
}

/** The description of the context `name` ("" when it has none), or undefined when there is no such context. */
async function describeContext(docker: string, name: string, exec: Exec): Promise<string | undefined> {
  const result = await exec(docker, ["context", "inspect", name]);
  if (result.exitCode !== 0) return undefined;
  try {
    const [context] = JSON.parse(result.stdout) as [{ Metadata?: { Description?: unknown } }];
    const description = context?.Metadata?.Description;
    return typeof description === "string" ? description : "";
  } catch {
    return "";
  }
}
