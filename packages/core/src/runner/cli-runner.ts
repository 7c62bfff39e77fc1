import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QusError } from "../errors.js";
import { buildArgs, createArgs, describeCliPrivilege, helperContainerName, PROGRAM_PATH, runArgs } from "./cli-args.js";
import {
  type CliClient,
  cliCommand,
  commandLine,
  commandWords,
  confinementFor,
  createCliClient,
  engineAsk,
  engineCall,
  engineFacts,
  inSeconds,
  removeContainer,
  withContainer,
} from "./cli-client.js";
import type { CliEngine } from "./cli-engine.js";
import { cliNotStarted, cliOutcome, describeRunFailure, excerpt } from "./cli-output.js";
import type { CliRunnerOptions } from "./cli-runner-options.js";
import type { BuildSpec, ContainerOutcome, ContainerRunner, RunSpec } from "./types.js";

/**
 * What a runner on a docker-like CLI (docker, podman) shares: argv arrays, every call bounded in time, helper
 * containers named and removed after a timeout, a failure or an interrupt. Each CLI's own module says how its
 * client is called, what its info looks like and how it words its errors ({@link CliEngine}).
 */

/** A {@link ContainerRunner} on a docker-like CLI, as {@link CliEngine} describes it. */
export function createCliRunner(engine: CliEngine, options: CliRunnerOptions = {}): ContainerRunner {
  const client = createCliClient(engine, options);
  return {
    name: engine.name,
    endpoint: engine.endpoint,
    info: async () => (await engineFacts(client)).info,
    describePrivilege: describeCliPrivilege,
    imageLabels: (image) => imageLabels(client, image),
    run: (spec) => runContainer(client, spec),
    runProgram: (spec, bytes) => runProgram(client, spec, bytes),
    pull: (image) => pull(client, image),
    buildImage: (spec) => buildImage(client, spec),
  };
}

/** The image's labels; undefined when the engine does not have it. */
async function imageLabels(client: CliClient, image: string): Promise<Record<string, string> | undefined> {
  const { name, endpoint } = client.engine;
  const result = await engineAsk(client, client.command.imageLabels(image, client.timeouts.engine), [
    "image",
    "inspect",
  ]);
  if (result.exitCode !== 0) {
    if (client.engine.noSuchImage.test(result.stderr)) return undefined;
    throw new QusError(
      "QUS_EXEC_FAILED",
      `could not inspect the image ${image} on the engine at ${endpoint}: ${describeRunFailure(result)}`,
    );
  }
  let labels: unknown;
  try {
    labels = JSON.parse(result.stdout || "null");
  } catch {
    labels = undefined;
  }
  if (labels === null) return {};
  if (typeof labels !== "object" || Array.isArray(labels) || labels === undefined) {
    throw new QusError(
      "QUS_EXEC_FAILED",
      `${name} image inspect printed labels qus cannot read for ${image}: ${excerpt(result.stdout)}`,
    );
  }
  return Object.fromEntries(Object.entries(labels as object).map(([key, value]) => [key, String(value)]));
}

async function runContainer(client: CliClient, spec: RunSpec): Promise<ContainerOutcome> {
  const container = helperContainerName();
  const args = runArgs(spec, await confinementFor(client, spec), container);
  return withContainer(client, container, async () => {
    const result = await cliCommand(client, args, spec.timeoutMs ?? client.timeouts.run, commandWords(client, ["run"]));
    // Stopped on time, killed, or the engine failed after creating it: --rm may not have happened.
    if (result.exitCode !== 0) await removeContainer(client, container);
    return cliOutcome(result, client.engine.name);
  });
}

async function runProgram(
  client: CliClient,
  spec: Omit<RunSpec, "command" | "entrypoint">,
  bytes: Uint8Array,
): Promise<ContainerOutcome> {
  const container = helperContainerName();
  const confinement = await confinementFor(client, spec);
  return withContainer(client, container, async () => {
    const dir = mkdtempSync(join(tmpdir(), "qus-program-"));
    try {
      const created = await engineCall(client, createArgs(spec, confinement, container));
      if (created.exitCode !== 0) return cliNotStarted(created);
      const file = join(dir, "program");
      writeFileSync(file, bytes);
      chmodSync(file, 0o755);
      // cp streams through the engine's API, so this works with a remote engine too.
      const copied = await engineCall(client, ["cp", file, `${container}:${PROGRAM_PATH}`]);
      if (copied.exitCode !== 0) return cliNotStarted(copied);
      const start = ["start", "--attach", "--", container];
      const timeoutMs = spec.timeoutMs ?? client.timeouts.run;
      const started = await cliCommand(client, start, timeoutMs, commandWords(client, ["start"]));
      return cliOutcome(started, client.engine.name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await removeContainer(client, container);
    }
  });
}

async function pull(client: CliClient, image: string): Promise<boolean> {
  const args = ["pull", "--quiet", "--", image];
  const result = await cliCommand(client, args, client.timeouts.pull, commandWords(client, ["pull"]));
  return result.exitCode === 0 && !result.timedOut;
}

async function buildImage(client: CliClient, spec: BuildSpec): Promise<void> {
  const { name, endpoint, hints } = client.engine;
  const args = buildArgs(spec.contextDir, spec.tags, spec.platform);
  const timeoutMs = spec.timeoutMs ?? client.timeouts.build;
  const result = await cliCommand(client, args, timeoutMs, commandWords(client, ["build"]));
  if (result.timedOut) {
    throw new QusError("QUS_TIMEOUT", `${commandLine(client, args)} did not finish within ${inSeconds(timeoutMs)}`, {
      hint: hints.buildTimeout,
    });
  }
  if (result.exitCode !== 0) {
    throw new QusError(
      "QUS_IMAGE_BUILD_FAILED",
      `${name} build of ${spec.tags[0] ?? spec.contextDir} on the engine at ${endpoint} failed: ${describeRunFailure(result)}`,
      { hint: "check that the engine is running and has room for the image" },
    );
  }
}
