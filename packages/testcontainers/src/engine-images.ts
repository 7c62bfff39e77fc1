import type { Readable } from "node:stream";
import { QusError } from "@qus/core";
import { type BuildSpec, membersOfFolder, tarOf, unreachable } from "@qus/core/runner";
import type Dockerode from "dockerode";
import { type DockerError, describeDockerError, isConnectionError } from "./docker-errors.js";
import { dial, type EngineClient, engineCall, UNREACHABLE_HINT } from "./engine-client.js";

/** The image's labels; undefined when the engine does not have it. */
export async function imageLabels(client: EngineClient, image: string): Promise<Record<string, string> | undefined> {
  const { dockerode, endpoint } = client;
  try {
    const inspected = await engineCall(client, "GET /images/json", (abortSignal) =>
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
}

/** Pulls an image; false when the pull failed or ran out of time. */
export async function pullImage(client: EngineClient, image: string): Promise<boolean> {
  const { dockerode } = client;
  const pullTimeoutMs = client.timeouts.pull;
  try {
    const stream = (await dockerode.pull(image, { abortSignal: AbortSignal.timeout(pullTimeoutMs) })) as Readable;
    await followToEnd(dockerode, stream, pullTimeoutMs);
    return true;
  } catch {
    return false;
  }
}

/** Builds the context folder's image with its first tag, then adds the others. */
export async function buildImage(client: EngineClient, spec: BuildSpec): Promise<void> {
  const { dockerode, endpoint } = client;
  const [first, ...others] = spec.tags;
  if (!first) throw new QusError("QUS_USAGE", "an image build needs a tag");
  const timeoutMs = spec.timeoutMs ?? client.timeouts.build;
  try {
    const context = tarOf(membersOfFolder(spec.contextDir));
    const stream = (await dockerode.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: first,
      ...(spec.platform ? { platform: spec.platform } : {}),
      abortSignal: AbortSignal.timeout(timeoutMs),
    })) as unknown as Readable;
    await followToEnd(dockerode, stream, timeoutMs);
    const [repo, tag] = splitTag(first);
    for (const other of others) {
      const [otherRepo, otherTag] = splitTag(other);
      await engineCall(client, "POST /images/tag", (abortSignal) =>
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
