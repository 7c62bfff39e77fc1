import { randomUUID } from "node:crypto";
import { type Client, GraphQLRequestError } from "@dagger.io/dagger";
import { type QemuCpu, QusError, resolvePlatforms } from "@qus/core";
import { type EngineInfo, unreachable } from "@qus/core/runner";

/** How reports and errors name the engine a module runs on. */
export const ENDPOINT = "the Dagger engine";

/** Environment variable set on every container qus runs, to a new value each run: see {@link runNonce}. */
export const NONCE_VARIABLE = "QUS_RUN";

/**
 * A value no earlier run used. Dagger caches every `withExec` by its inputs, across calls and sessions: without a
 * fresh input a probe would answer from the cache what the kernel said yesterday.
 */
export function runNonce(): string {
  return randomUUID();
}

/** The engine's facts, in core's terms: its machine from its default platform, and its version. */
export async function engineInfo(client: Client): Promise<EngineInfo> {
  const [platform, version] = await Promise.all([
    engineCall("defaultPlatform", () => client.defaultPlatform()),
    engineCall("version", () => client.version()).catch(() => "unknown"),
  ]);
  return {
    cpu: cpuOfPlatform(String(platform)),
    architecture: String(platform).split("/")[1] ?? String(platform),
    version,
    // A Dagger engine runs its containers itself, as root on its host: there is no rootless Dagger engine.
    rootless: false,
    userns: false,
    endpoint: ENDPOINT,
  };
}

/** The QEMU cpu of an OCI platform (`linux/amd64` → `x86_64`), or undefined when qus has no target for it. */
export function cpuOfPlatform(platform: string): QemuCpu | undefined {
  try {
    return resolvePlatforms(platform)[0]?.cpu;
  } catch {
    return undefined;
  }
}

/**
 * Whether an SDK error means the engine answered (it refused a query: a missing image, a failed exec), as opposed
 * to a session that is gone.
 */
export function engineAnswered(error: unknown): error is GraphQLRequestError {
  return error instanceof GraphQLRequestError;
}

/**
 * One call to the engine: a session that does not answer becomes QUS_ENGINE_UNREACHABLE; the engine's own
 * refusals pass through for the caller to judge.
 */
export async function engineCall<T>(
  what: string,
  call: () => Promise<T>,
  timeoutMs = ENGINE_CALL_TIMEOUT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new QusError("QUS_TIMEOUT", `${what}: ${ENDPOINT} did not answer within ${timeoutMs / 1000} s`, {
            hint: "check the engine (dagger core version) and its registry access, then run again",
          }),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([call(), expired]);
  } catch (error) {
    if (engineAnswered(error) || error instanceof QusError) throw error;
    throw unreachable(
      ENDPOINT,
      `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      "run the module with dagger call, whose session reaches the engine; check that the engine runs (dagger core version)",
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Bound of one call to the engine that is no helper run (an image pull from a registry included). */
export const ENGINE_CALL_TIMEOUT_MS = 300_000;

/** The engine's words for an error, on one line. */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim().split("\n").filter(Boolean).join(" ").replace(/\s+/g, " ");
}
