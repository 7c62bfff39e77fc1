/**
 * `@qus/core/runner`: what an author of a container runner needs (the seam a container driver runs its helper
 * through): the runner's contract, the docker and podman CLI runners, the Engine API request, the probe programs and
 * how a probe's run is judged, the process seam with its bounds, and the tar of a folder.
 */
export { describeProbeRun } from "./drivers/probe-verdict.js";
export type { ProbeFailureKind, ProbeResult } from "./drivers/types.js";
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  type Exec,
  type ExecOptions,
  type ExecResult,
  execProcess,
  outputTooLarge,
  runSyncBestEffort,
  type SyncRunResult,
} from "./exec.js";
export { buildExitProgram, buildProbe } from "./probe/index.js";
export {
  buildxErrorLine,
  buildxPullFailure,
  isBuilderCreateRace,
  isRefusedBuilderOptions,
  probeStepEnd,
} from "./runner/buildx-words.js";
export { helperContainerName, PROGRAM_PATH } from "./runner/cli-args.js";
export type { Confinement, EngineFacts } from "./runner/cli-engine.js";
export { unreachable, unreadableInfo } from "./runner/cli-output.js";
export {
  type CliRunnerOptions,
  DEFAULT_BUILD_TIMEOUT_MS,
  DEFAULT_ENGINE_TIMEOUT_MS,
  DEFAULT_PULL_TIMEOUT_MS,
  DEFAULT_RUN_TIMEOUT_MS,
  engineTimeoutFromEnv,
} from "./runner/cli-runner-options.js";
export { createRequest, type DockerCreateRequest, describeApiPrivilege, HELPER_LABEL } from "./runner/docker-api.js";
export {
  createDockerCliRunner,
  type DockerCliOptions,
  type DockerInfo,
  describeEndpoint,
  dockerInfoFacts,
} from "./runner/docker-cli.js";
export { type DockerIdentity, readDockerIdentity } from "./runner/docker-identity.js";
export {
  createEngineCommand,
  ENGINE_INFO_ARGS,
  type EngineCommand,
  type EngineCommandOptions,
  type EngineKind,
  type EngineOutcome,
  engineCommand,
  engineGlobal,
  outcomeOf,
} from "./runner/engine-command.js";
export { classifyEngineOutput, type EngineFailure } from "./runner/engine-failure.js";
export { describeOutcome } from "./runner/outcome.js";
export { createPodmanCliRunner, type PodmanCliOptions } from "./runner/podman-cli.js";
export { killedFromOutside, notStartedReason, runtimeExecFailure } from "./runner/runtime-words.js";
export { membersOfFolder, type TarMember, tarOf } from "./runner/tar.js";
export type {
  BuildSpec,
  ContainerOutcome,
  ContainerRunner,
  EngineInfo,
  NotStartedReason,
  Privilege,
  RunSpec,
} from "./runner/types.js";
