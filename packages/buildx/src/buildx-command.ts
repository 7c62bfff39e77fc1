import { type Exec, type ExecResult, QusError } from "@qus/core";

/** Runs `docker [--context C] buildx ...` through core's exec seam, with argv arrays. */
export interface BuildxCli {
  run(args: readonly string[], options?: { timeoutMs?: number }): Promise<ExecResult>;
}

/** A {@link BuildxCli} on the docker client. */
export function createBuildxCli(exec: Exec, context?: string, docker = "docker"): BuildxCli {
  const global = context ? ["--context", context] : [];
  return {
    async run(args, options = {}) {
      const result = await exec(docker, [...global, "buildx", ...args], { timeoutMs: options.timeoutMs ?? 300_000 });
      if (result.startError === "ENOENT") {
        throw new QusError("QUS_ENGINE_UNREACHABLE", `the docker client (${docker}) is not installed`, {
          hint: "install the docker CLI and its buildx plugin",
        });
      }
      if (result.exitCode !== 0 && /is not a docker command|unknown command "buildx"/i.test(result.stderr)) {
        throw new QusError("QUS_ENGINE_UNREACHABLE", "docker buildx is not installed", {
          hint: "install the buildx plugin (package docker-buildx on Debian 13 and Ubuntu; bash tools/setup-docker.sh in qus's repository does it on Debian 12)",
        });
      }
      return result;
    },
  };
}

/** argv of `buildx create` for a new builder. */
export function createArgs(name: string, driver: string, driverOpts: readonly string[], use: boolean): string[] {
  return [
    "create",
    "--name",
    name,
    "--driver",
    driver,
    ...driverOpts.flatMap((opt) => ["--driver-opt", opt]),
    ...(use ? ["--use"] : []),
  ];
}

/** argv of `buildx inspect --bootstrap`: starts the builder's nodes and prints them. */
export function inspectArgs(name: string): string[] {
  return ["inspect", "--bootstrap", name];
}

/** argv of one proof build: no cache, so the RUN step really runs; no output kept. */
export function proofBuildArgs(builder: string, platform: string, contextDir: string): string[] {
  return [
    "build",
    "--builder",
    builder,
    "--platform",
    platform,
    "--no-cache",
    "--progress",
    "plain",
    "--output",
    "type=cacheonly",
    contextDir,
  ];
}

/** The last lines of a failed command, for error messages. */
export function tail(result: ExecResult, lines = 3): string {
  return (result.stderr || result.stdout).trim().split("\n").slice(-lines).join(" ").trim();
}
