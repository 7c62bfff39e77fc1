export { type BinfmtEntry, parseEntry } from "./binfmt/entry.js";
// Kept until @qus/buildx's tests stop decoding magic strings themselves.
export { decodeEscaped } from "./binfmt/escape.js";
export { DEFAULT_FLAGS } from "./binfmt/flags.js";
export { type Registration, registrationOf, renderRegister } from "./binfmt/register.js";
export { installInterruptHandlers, interruptCleanup, onInterrupt } from "./cleanup.js";
export { printable, QUOTE_LIMIT, quoteInput } from "./display.js";
export {
  type ContainerDriverOptions,
  createContainerDriver,
  isImageReference,
  QUS_IMAGE,
} from "./drivers/container/index.js";
export { createLocalDriver, type LocalDriverOptions } from "./drivers/local/index.js";
export { describeProbeRun } from "./drivers/probe-verdict.js";
export type {
  ApplyOutcome,
  Driver,
  Inspection,
  InspectRequest,
  InterpreterFile,
  KernelInfo,
  ProbeFailureKind,
  ProbeResult,
  RemoveOutcome,
} from "./drivers/types.js";
export {
  EXIT_CODES,
  errorKind,
  exitCodeOf,
  isQusError,
  QusError,
  type QusErrorCode,
  type QusErrorKind,
  type QusErrorOptions,
} from "./errors.js";
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  type Exec,
  type ExecOptions,
  type ExecResult,
  execProcess,
  outputTooLarge,
} from "./exec.js";
export {
  type ClaimingEntry,
  type ElfInfo,
  type ExplainFilesOptions,
  type ExplainImageOptions,
  type Explanation,
  explainFiles,
  explainImage,
  explanationExitCode,
  type FileExplanation,
  type FileProblem,
  type Handler,
  type ImageFacts,
  isFileProblem,
  type RunsAnswer,
  readElf,
  renderExplanation,
  type Verdict,
} from "./explain/index.js";
export { buildImage, type ImageBuildOptions, type ImageBuildResult } from "./image/build.js";
export { type EnsureOptions, ensure } from "./operations/ensure.js";
export { BINFMT_D, type PersistOptions, persist } from "./operations/persist.js";
export { type RemoveOptions, remove } from "./operations/remove.js";
export { type StatusOptions, status, verify } from "./operations/status.js";
export { type Interpreter, type PlanAction, type PlanInput, type PlanStep, plan } from "./plan.js";
export { platformNames, resolvePlatforms } from "./platform.js";
export { buildExitProgram, buildProbe } from "./probe/index.js";
export { processWide } from "./process-wide.js";
export {
  type CachedQemu,
  fetchQemu,
  formatQemuSource,
  KNOWN_DEBIAN_SUITES,
  listCached as listCachedQemu,
  parseQemuSource,
  type QemuFetchOptions,
  type QemuFetchResult,
  type QemuSource,
  qemuCacheRoot,
} from "./qemu/index.js";
export { alignRows } from "./report/align.js";
export type { EntryState, PersistedFile, PlatformReport, Report, ReportAction } from "./report/model.js";
export { describeFailure, type FailureContext, failureHint } from "./report/probe-words.js";
export { renderJson } from "./report/render-json.js";
export { renderJunit } from "./report/render-junit.js";
export { renderMarkdown } from "./report/render-markdown.js";
export { renderTable, shouldColor, type TableOptions } from "./report/render-table.js";
export { whyNotOk } from "./report/why-not.js";
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
export {
  createRequest,
  type DockerCreateRequest,
  describeApiPrivilege,
  HELPER_LABEL,
} from "./runner/docker-api.js";
export {
  createDockerCliRunner,
  type DockerCliOptions,
  type DockerInfo,
  dockerInfoFacts,
} from "./runner/docker-cli.js";
export { createPodmanCliRunner, type PodmanCliOptions } from "./runner/podman-cli.js";
export { membersOfFolder, type TarMember, tarOf } from "./runner/tar.js";
export type { BuildSpec, ContainerRunner, EngineInfo, Privilege, RunSpec } from "./runner/types.js";
export { formatCommand, quoteShellArg } from "./shell-quote.js";
export {
  canonicalPlatform,
  entryName,
  interpreterBase,
  type QemuCpu,
  requireTarget,
  TARGETS,
  type Target,
  targetByCpu,
} from "./targets.js";
