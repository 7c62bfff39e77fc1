import { QusError } from "@qus/core";
import { buildxPullFailure } from "@qus/core/runner";
import { type BuildxCli, type BuildxTimeouts, inspectArgs, isNoBuilder, lastError, tail } from "./buildx-command.js";
import { type BuilderInfo, parseInspect } from "./inspect.js";

/** The builder as `buildx inspect NAME` shows it (read-only, starts nothing), or undefined when there is none. */
export async function findBuilder(
  cli: BuildxCli,
  name: string,
  timeouts: BuildxTimeouts,
): Promise<BuilderInfo | undefined> {
  const result = await cli.run(["inspect", name], { timeoutMs: timeouts.inspect });
  if (result.exitCode === 0) return parseInspect(result.stdout);
  if (isNoBuilder(result)) return undefined;
  throw new QusError("QUS_EXEC_FAILED", `could not look up builder ${name}: ${tail(result)}`, {
    hint: `see what buildx says: ${cli.display(["inspect", name])}`,
  });
}

/** `buildx stop`: its nodes start again, detecting platforms and emulators afresh, at the next bootstrap. */
export async function refreshNodes(cli: BuildxCli, name: string, timeouts: BuildxTimeouts): Promise<void> {
  const args = ["stop", name];
  const result = await cli.run(args, { timeoutMs: timeouts.stop });
  if (result.exitCode === 0) return;
  if (isNoBuilder(result)) throw builderGone(name, "restarting it");
  throw new QusError("QUS_EXEC_FAILED", `could not restart builder ${name}: ${tail(result)}`, {
    hint: `see what buildx says: ${cli.display(args)}`,
  });
}

/** `buildx inspect --bootstrap`: starts the builder's nodes (pulling its image if needed) and reads them. */
export async function bootstrapBuilder(cli: BuildxCli, name: string, timeouts: BuildxTimeouts): Promise<BuilderInfo> {
  const args = inspectArgs(name);
  const result = await cli.run(args, { timeoutMs: timeouts.bootstrap });
  if (result.exitCode !== 0) {
    if (isNoBuilder(result)) throw builderGone(name, "bootstrapping it");
    const detail = lastError(result);
    const pull = buildxPullFailure(`${result.stderr}\n${result.stdout}`);
    if (pull) {
      const { image } = pull;
      throw new QusError(
        "QUS_IMAGE_MISSING",
        `could not bootstrap builder ${name}: its BuildKit image${image ? ` ${image}` : ""} cannot be pulled: ${detail}`,
        {
          hint: `the docker-container driver runs ${image ?? "moby/buildkit"} on the engine: load it there (docker load), or name one the engine has with --driver-opt image=REF`,
        },
      );
    }
    throw new QusError("QUS_EXEC_FAILED", `could not bootstrap builder ${name}: ${detail}`, {
      hint: `see what buildx says: ${cli.display(args)}`,
    });
  }
  return parseInspect(result.stdout);
}

/** A bootstrap that failed because the engine could not get the builder's image (no registry, no such image). */
export function isPullFailure(output: string): boolean {
  return buildxPullFailure(output) !== undefined;
}

function builderGone(name: string, doing: string): QusError {
  return new QusError("QUS_EXEC_FAILED", `builder ${name} was removed by another process while qus was ${doing}`, {
    hint: "run qus buildx again once nothing else removes the builder",
  });
}

/** Runs a buildx command that must succeed (`use`), or throws `QUS_EXEC_FAILED` saying `what` and buildx's words. */
export async function mustSucceed(
  cli: BuildxCli,
  args: readonly string[],
  what: string,
  timeoutMs: number,
): Promise<void> {
  const result = await cli.run(args, { timeoutMs });
  if (result.exitCode === 0) return;
  throw new QusError("QUS_EXEC_FAILED", `${what}: ${tail(result)}`, {
    hint: `see what buildx says: ${cli.display(args)}`,
  });
}
