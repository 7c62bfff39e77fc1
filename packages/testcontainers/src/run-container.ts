import type { Readable } from "node:stream";
import { QusError } from "@qus/core";
import {
  type ContainerOutcome,
  createRequest,
  helperContainerName,
  killedFromOutside,
  outputTooLarge,
  PROGRAM_PATH,
  type RunSpec,
  runtimeExecFailure,
  tarOf,
  unreachable,
} from "@qus/core/runner";
import type Dockerode from "dockerode";
import { collectOutput } from "./attach-output.js";
import { type DockerError, describeDockerError, isConnectionError, refusalReason } from "./docker-errors.js";
import { confinementFor, type EngineClient, engineCall, UNREACHABLE_HINT } from "./engine-client.js";

/** Runs a helper container to its end, as `docker run --rm` would. */
export async function runContainer(client: EngineClient, spec: RunSpec): Promise<ContainerOutcome> {
  const confinement = await confinementFor(client, spec);
  const created = await create(client, createRequest(spec, confinement, helperContainerName()));
  if (!("id" in created)) return created;
  return runToEnd(client, created, spec.timeoutMs ?? client.timeouts.run);
}

/** Runs a program of its own in a container created from the spec's image: copied in, then started. */
export async function runProgram(
  client: EngineClient,
  spec: Omit<RunSpec, "command" | "entrypoint">,
  program: Uint8Array,
): Promise<ContainerOutcome> {
  const confinement = await confinementFor(client, spec);
  const request = createRequest({ ...spec, command: [], entrypoint: PROGRAM_PATH }, confinement, helperContainerName());
  const created = await create(client, request);
  if (!("id" in created)) return created;
  try {
    const archive = tarOf([{ path: PROGRAM_PATH.slice(1), type: "file", data: program, mode: 0o755 }]);
    await engineCall(client, "PUT /containers/archive", (abortSignal) =>
      created.putArchive(archive, { path: "/", abortSignal }),
    );
  } catch (error) {
    await removeContainer(client, created);
    if (error instanceof QusError) throw error;
    return refused(error as DockerError);
  }
  return runToEnd(client, created, spec.timeoutMs ?? client.timeouts.run);
}

async function removeContainer(client: EngineClient, container: Dockerode.Container): Promise<void> {
  try {
    await container.remove({ force: true, abortSignal: AbortSignal.timeout(client.timeouts.engine) });
  } catch {
    // Gone already, or the engine stopped answering: nothing more can be done from here.
  }
}

/** Creates the container; a refusal is a container not started, for the reason the engine's words give. */
async function create(client: EngineClient, request: object): Promise<Dockerode.Container | ContainerOutcome> {
  try {
    return await engineCall(client, "POST /containers/create", (abortSignal) =>
      client.dockerode.createContainer({ ...request, abortSignal } as Dockerode.ContainerCreateOptions),
    );
  } catch (error) {
    if (error instanceof QusError) throw error;
    return refused(error as DockerError);
  }
}

/** Attaches, starts and waits for a created container, within `timeoutMs`; removes it in every case. */
async function runToEnd(
  client: EngineClient,
  container: Dockerode.Container,
  timeoutMs: number,
): Promise<ContainerOutcome> {
  // The wait is asked before the start, so that an AutoRemove container that ends at once is still waited for.
  const stop = new AbortController();
  const runSignal = AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]);
  try {
    // The attach answers at once; the stream it opens lives as long as the run.
    const stream = (await engineCall(client, "POST /containers/attach", (abortSignal) =>
      container.attach({
        stream: true,
        stdout: true,
        stderr: true,
        abortSignal: AbortSignal.any([abortSignal, runSignal]),
      }),
    )) as unknown as Readable;
    // A helper that prints without end is stopped like one that runs out of time, and said so.
    const output = collectOutput(client.dockerode, stream, () => stop.abort());
    const exited = container.wait({ condition: "next-exit", abortSignal: runSignal }) as Promise<{
      StatusCode: number;
    }>;
    exited.catch(() => undefined); // read below, or given up when the start fails
    try {
      await engineCall(client, "POST /containers/start", (abortSignal) => container.start({ abortSignal }));
    } catch (error) {
      stream.destroy();
      if (error instanceof QusError) throw error;
      return refused(error as DockerError);
    }
    let status: number;
    try {
      status = (await exited).StatusCode;
    } catch (error) {
      stream.destroy();
      if (output.overflowed()) throw helperOutputTooLarge();
      if (runSignal.aborted && !stop.signal.aborted) {
        return { kind: "timed-out", ...(await output.settle(0)) };
      }
      if (isConnectionError(error)) {
        throw unreachable(
          client.endpoint,
          `waiting for the helper container failed: ${describeDockerError(error)}`,
          UNREACHABLE_HINT,
        );
      }
      throw error;
    }
    // The wait can answer before the last output arrived: give the stream a moment to end.
    const { stdout, stderr } = await output.settle(1000);
    if (output.overflowed()) throw helperOutputTooLarge();
    return ended(status, stdout, stderr);
  } finally {
    stop.abort();
    await removeContainer(client, container); // stopped on time or refused: AutoRemove may not have happened
  }
}

/** How a container that ran ended, typed: killed by the engine, not started by its runtime, or its own status. */
function ended(status: number, stdout: string, stderr: string): ContainerOutcome {
  if (killedFromOutside(status)) return { kind: "interrupted", detail: `status ${status}`, stdout, stderr };
  const failedExec = status !== 0 ? runtimeExecFailure(stdout, stderr) : undefined;
  if (failedExec) return { kind: "not-started", reason: failedExec, detail: stderr.trim() };
  return { kind: "ran", exitCode: status, stdout, stderr };
}

/** A refused create, start or copy: a container not started, with the engine's words (as `docker run` says them). */
function refused(error: DockerError): ContainerOutcome {
  const words = describeDockerError(error);
  return { kind: "not-started", reason: refusalReason(error), detail: `Error response from daemon: ${words}` };
}

const helperOutputTooLarge = () =>
  outputTooLarge("the helper container", "check the helper image: qus's installer image prints a few lines a run");
