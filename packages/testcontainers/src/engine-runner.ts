import { PassThrough, type Readable } from "node:stream";
import {
  type ContainerRunner,
  createRequest,
  DEFAULT_BUILD_TIMEOUT_MS,
  DEFAULT_ENGINE_TIMEOUT_MS,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_PULL_TIMEOUT_MS,
  DEFAULT_RUN_TIMEOUT_MS,
  type DockerInfo,
  describeApiPrivilege,
  dockerInfoFacts,
  type EngineFacts,
  type ExecResult,
  engineTimeoutFromEnv,
  helperContainerName,
  membersOfFolder,
  outputTooLarge,
  PROGRAM_PATH,
  QusError,
  type RunSpec,
  tarOf,
  unreachable,
} from "@qus/core";
import type Dockerode from "dockerode";
import { type DockerError, describeDockerError, isConnectionError } from "./docker-errors.js";

/** Options of {@link createEngineRunner}. */
export interface EngineRunnerOptions {
  /** Where the client goes, in words, for reports and errors (`unix:///var/run/docker.sock`). */
  readonly endpoint: string;
  /** Bound of a call the engine answers at once; QUS_ENGINE_TIMEOUT (seconds) or 15 s by default. */
  readonly engineTimeoutMs?: number;
  /** Bound of a helper container whose spec sets none: 120 s. */
  readonly runTimeoutMs?: number;
  readonly pullTimeoutMs?: number;
  readonly buildTimeoutMs?: number;
}

const UNREACHABLE_HINT =
  "start the engine the tests use, or point DOCKER_HOST (or ~/.testcontainers.properties) at one that answers";

const SOCKET_DENIED_HINT =
  "this user may not use the engine's socket: add it to the docker group (or the engine's own), or run the tests as root";

/** What to do about a connection that failed: permission to the socket, or an engine that is not there. */
function hintFor(error: unknown): string {
  return (error as DockerError).code === "EACCES" ? SOCKET_DENIED_HINT : UNREACHABLE_HINT;
}

/** The status `docker run` exits with when the engine refused to create or start the container. */
const ENGINE_REFUSED = 125;

/**
 * A {@link ContainerRunner} on the Docker Engine API through a dockerode client (Testcontainers' own): no docker CLI
 * needed, and the engine is the one the tests use, local or remote. Every call is bounded; every helper container
 * is removed after it ends, fails or runs out of time.
 */
export function createEngineRunner(dockerode: Dockerode, options: EngineRunnerOptions): ContainerRunner {
  const { endpoint } = options;
  const engineTimeoutMs = options.engineTimeoutMs ?? engineTimeoutFromEnv() ?? DEFAULT_ENGINE_TIMEOUT_MS;
  const runTimeoutMs = options.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const pullTimeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
  const buildTimeoutMs = options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS;
  let facts: Promise<EngineFacts> | undefined;

  /**
   * A call the engine answers at once: an engine that takes longer, or cannot be reached, is not answering. Only
   * the answer is bounded: a stream the call opens (an attach) is not aborted once it answered.
   */
  async function engineCall<T>(what: string, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const bound = new AbortController();
    const timer = setTimeout(() => bound.abort(), engineTimeoutMs);
    try {
      return await call(bound.signal);
    } catch (error) {
      if (bound.signal.aborted) {
        throw unreachable(
          endpoint,
          `${what} did not answer within ${engineTimeoutMs / 1000} s`,
          "check that the engine answers; for a slow remote engine allow more time, for example QUS_ENGINE_TIMEOUT=60",
        );
      }
      if (isConnectionError(error))
        throw unreachable(endpoint, `${what} failed: ${describeDockerError(error)}`, hintFor(error));
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async function engineFacts(): Promise<EngineFacts> {
    facts ??= engineCall("GET /info", (abortSignal) =>
      dial<DockerInfo>(dockerode, { path: "/info", method: "GET", abortSignal }),
    )
      // Read as the docker CLI runner reads `docker info`: the API answers the same object.
      .then((info: DockerInfo) => dockerInfoFacts(info, endpoint))
      .catch((error: unknown) => {
        facts = undefined;
        throw error;
      });
    return facts;
  }

  async function removeContainer(container: Dockerode.Container): Promise<void> {
    try {
      await container.remove({ force: true, abortSignal: AbortSignal.timeout(engineTimeoutMs) });
    } catch {
      // Gone already, or the engine stopped answering: nothing more can be done from here.
    }
  }

  /** Creates the container; a refusal is the result `docker run` would give (status 125 and the engine's words). */
  async function create(request: object): Promise<Dockerode.Container | ExecResult> {
    try {
      return await engineCall("POST /containers/create", (abortSignal) =>
        dockerode.createContainer({ ...request, abortSignal } as Dockerode.ContainerCreateOptions),
      );
    } catch (error) {
      if (error instanceof QusError) throw error;
      return refused(error as DockerError);
    }
  }

  /** Attaches, starts and waits for a created container, within `timeoutMs`; removes it in every case. */
  async function runToEnd(container: Dockerode.Container, timeoutMs: number): Promise<ExecResult> {
    // The wait is asked before the start, so that an AutoRemove container that ends at once is still waited for.
    const stop = new AbortController();
    const runSignal = AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      // The attach answers at once; the stream it opens lives as long as the run.
      const stream = (await engineCall("POST /containers/attach", (abortSignal) =>
        container.attach({
          stream: true,
          stdout: true,
          stderr: true,
          abortSignal: AbortSignal.any([abortSignal, runSignal]),
        }),
      )) as unknown as Readable;
      // A helper that prints without end is stopped like one that runs out of time, and said so.
      const output = collect(dockerode, stream, () => stop.abort());
      const exited = container.wait({ condition: "next-exit", abortSignal: runSignal }) as Promise<{
        StatusCode: number;
      }>;
      exited.catch(() => undefined); // read below, or given up when the start fails
      try {
        await engineCall("POST /containers/start", (abortSignal) => container.start({ abortSignal }));
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
          return {
            ...(await output.settle(0)),
            exitCode: undefined,
            signal: "SIGKILL",
            startError: undefined,
            timedOut: true,
          };
        }
        if (isConnectionError(error)) {
          throw unreachable(
            endpoint,
            `waiting for the helper container failed: ${describeDockerError(error)}`,
            UNREACHABLE_HINT,
          );
        }
        throw error;
      }
      // The wait can answer before the last output arrived: give the stream a moment to end.
      const { stdout, stderr } = await output.settle(1000);
      if (output.overflowed()) throw helperOutputTooLarge();
      return { exitCode: status, signal: undefined, stdout, stderr, startError: undefined, timedOut: false };
    } finally {
      stop.abort();
      await removeContainer(container); // stopped on time or refused: AutoRemove may not have happened
    }
  }

  return {
    name: "testcontainers",
    endpoint,
    info: async () => (await engineFacts()).info,
    describePrivilege: describeApiPrivilege,

    async imageLabels(image) {
      try {
        const inspected = await engineCall("GET /images/json", (abortSignal) =>
          dial<Dockerode.ImageInspectInfo>(dockerode, { path: `/images/${image}/json`, method: "GET", abortSignal }),
        );
        const labels = inspected.Config?.Labels ?? {};
        return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, String(value)]));
      } catch (error) {
        if ((error as DockerError).statusCode === 404) return undefined;
        if (error instanceof QusError) throw error;
        throw new QusError(
          "QUS_EXEC_FAILED",
          `could not inspect the image ${image} on the engine at ${endpoint}: ${describeDockerError(error)}`,
        );
      }
    },

    async run(spec) {
      const confinement = await confinementFor(spec);
      const created = await create(createRequest(spec, confinement, helperContainerName()));
      if (!("id" in created)) return created;
      return runToEnd(created, spec.timeoutMs ?? runTimeoutMs);
    },

    async runProgram(spec, program) {
      const confinement = await confinementFor(spec);
      const request = createRequest(
        { ...spec, command: [], entrypoint: PROGRAM_PATH },
        confinement,
        helperContainerName(),
      );
      const created = await create(request);
      if (!("id" in created)) return created;
      try {
        const archive = tarOf([{ path: PROGRAM_PATH.slice(1), type: "file", data: program, mode: 0o755 }]);
        await engineCall("PUT /containers/archive", (abortSignal) =>
          created.putArchive(archive, { path: "/", abortSignal }),
        );
      } catch (error) {
        await removeContainer(created);
        if (error instanceof QusError) throw error;
        return refused(error as DockerError);
      }
      return runToEnd(created, spec.timeoutMs ?? runTimeoutMs);
    },

    async pull(image) {
      try {
        const stream = (await dockerode.pull(image, { abortSignal: AbortSignal.timeout(pullTimeoutMs) })) as Readable;
        await followToEnd(dockerode, stream, pullTimeoutMs);
        return true;
      } catch {
        return false;
      }
    },

    async buildImage(spec) {
      const [first, ...others] = spec.tags;
      if (!first) throw new QusError("QUS_USAGE", "an image build needs a tag");
      const timeoutMs = spec.timeoutMs ?? buildTimeoutMs;
      try {
        const context = tarOf(membersOfFolder(spec.contextDir));
        const stream = (await dockerode.buildImage(context as unknown as NodeJS.ReadableStream, {
          t: first,
          abortSignal: AbortSignal.timeout(timeoutMs),
        })) as unknown as Readable;
        await followToEnd(dockerode, stream, timeoutMs);
        const [repo, tag] = splitTag(first);
        for (const other of others) {
          const [otherRepo, otherTag] = splitTag(other);
          await engineCall("POST /images/tag", (abortSignal) =>
            dockerode.getImage(`${repo}:${tag}`).tag({ repo: otherRepo, tag: otherTag, abortSignal }),
          );
        }
      } catch (error) {
        if (error instanceof QusError) throw error;
        if (isConnectionError(error))
          throw unreachable(endpoint, `the image build failed: ${describeDockerError(error)}`, UNREACHABLE_HINT);
        throw new QusError(
          "QUS_IMAGE_BUILD_FAILED",
          `the build of ${first} on the engine at ${endpoint} failed: ${describeDockerError(error)}`,
          { hint: "check that the engine is running and has room for the image" },
        );
      }
    },
  };

  async function confinementFor(spec: Pick<RunSpec, "needsBinfmtMount" | "privilege">) {
    if (spec.privilege === "full" || !spec.needsBinfmtMount) return { apparmor: false, selinux: false };
    return (await engineFacts()).confinement;
  }
}

/**
 * One Engine API request through dockerode's modem, bounded by `abortSignal`: for the calls whose dockerode method
 * takes no signal. Rejects as dockerode does (`statusCode`, `json`) for any answer but 200.
 */
function dial<T>(
  dockerode: Dockerode,
  request: { path: string; method: string; abortSignal: AbortSignal },
): Promise<T> {
  return new Promise((resolve, reject) => {
    dockerode.modem.dial(
      { ...request, statusCodes: { 200: true, 404: "not found", 500: "server error" } },
      (error: unknown, data: unknown) => (error ? reject(error) : resolve(data as T)),
    );
  });
}

/** A refused create, start or copy, as `docker run` reports it: status 125 and the engine's words. */
function refused(error: DockerError): ExecResult {
  return {
    exitCode: ENGINE_REFUSED,
    signal: undefined,
    stdout: "",
    stderr: `Error response from daemon: ${describeDockerError(error)}`,
    startError: undefined,
    timedOut: false,
  };
}

const helperOutputTooLarge = () =>
  outputTooLarge("the helper container", "check the helper image: qus's installer image prints a few lines a run");

/**
 * Demultiplexes a container's attach stream into stdout and stderr, as text, keeping at most
 * {@link DEFAULT_MAX_OUTPUT_BYTES}; past that the stream is let go and `onOverflow` called.
 */
function collect(dockerode: Dockerode, stream: Readable, onOverflow: () => void) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  let bytes = 0;
  let overflowed = false;
  const keep = (into: Buffer[]) => (chunk: Buffer) => {
    if (overflowed) return;
    bytes += chunk.length;
    if (bytes <= DEFAULT_MAX_OUTPUT_BYTES) {
      into.push(chunk);
      return;
    }
    overflowed = true;
    stream.destroy();
    onOverflow();
  };
  stdout.on("data", keep(chunks.stdout));
  stderr.on("data", keep(chunks.stderr));
  dockerode.modem.demuxStream(stream, stdout, stderr);
  const ended = new Promise<void>((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", () => resolve());
  });
  return {
    overflowed: () => overflowed,
    /** The output so far, after the stream ended or `graceMs` passed. */
    async settle(graceMs: number) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      stream.destroy();
      return {
        stdout: Buffer.concat(chunks.stdout).toString("utf8"),
        stderr: Buffer.concat(chunks.stderr).toString("utf8"),
      };
    },
  };
}

/** Reads a pull's or build's progress to its end; rejects with the engine's words when a line reports an error. */
function followToEnd(dockerode: Dockerode, stream: Readable, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`it did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    dockerode.modem.followProgress(
      stream,
      (error: Error | null, events: { error?: string; errorDetail?: { message?: string } }[]) => {
        clearTimeout(timer);
        const failed = events?.find((event) => event.error || event.errorDetail);
        if (error) reject(error);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolve();
      },
    );
  });
}

/** `repo:tag` (the tag after the last colon that is not part of a registry's port), `latest` when none. */
function splitTag(reference: string): [string, string] {
  const at = reference.lastIndexOf(":");
  return at > reference.lastIndexOf("/") ? [reference.slice(0, at), reference.slice(at + 1)] : [reference, "latest"];
}
