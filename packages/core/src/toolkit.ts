/**
 * `@qus/core/toolkit`: the pieces qus's own adapters (the CLI, buildx, the CI plugins, k8s, vm) share: quoting and
 * escaping for terminals, interrupt handling, the binfmt_misc model and the plan, target look-ups, explain's parts,
 * the installer image build and QEMU supply. No promise of stability: use `@qus/core` and `@qus/core/runner`.
 */
export { cpuOfEngineArch, hostCpu } from "./architectures.js";
export { type BinfmtEntry, parseEntry } from "./binfmt/entry.js";
export { decodeEscaped } from "./binfmt/escape.js";
export { DEFAULT_FLAGS } from "./binfmt/flags.js";
export { type Registration, registrationOf, renderRegister } from "./binfmt/register.js";
export { installInterruptHandlers, interruptCleanup, onInterrupt } from "./cleanup.js";
export { printable, QUOTE_LIMIT, quoteInput } from "./display.js";
export { type NativeDecision, ownArchitecture } from "./drivers/native-policy.js";
export type {
  ApplyOutcome,
  Inspection,
  InspectRequest,
  InterpreterFile,
  KernelInfo,
  RemoveOutcome,
} from "./drivers/types.js";
export {
  describeError,
  type ErrorDescription,
  type ErrorDocument,
  type ErrorJsonFields,
  type ErrorTextOptions,
  errorDocument,
  errorFromDocument,
  renderErrorJson,
  renderErrorText,
  UNEXPECTED_ERROR_CODE,
} from "./error-render.js";
export { errorKind, exitCodeOfError, isQusErrorCode, type QusErrorOptions } from "./errors.js";
export {
  type ClaimingEntry,
  type ElfInfo,
  type ExplainFilesOptions,
  type ExplainImageOptions,
  explanationExitCode,
  type FileExplanation,
  type FileProblem,
  type Handler,
  type ImageFacts,
  isFileProblem,
  type RunsAnswer,
  readElf,
  type Verdict,
} from "./explain/index.js";
export { buildImage, type ImageBuildOptions, type ImageBuildResult } from "./image/build.js";
export {
  defaultInstallerImage,
  installerImageOverride,
  isImageReference,
  QUS_IMAGE_REPOSITORY,
  QUS_IMAGE_VARIABLE,
} from "./installer-image.js";
export { BINFMT_D } from "./operations/persist.js";
export { type Interpreter, type PlanAction, type PlanInput, type PlanStep, plan } from "./plan.js";
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
export {
  assembleReport,
  nativePlatformReport,
  type PlatformProblem,
  platformProblems,
  type ReportParts,
  runsProven,
  UNREAD_KERNEL,
} from "./report/adapter-report.js";
export { alignRows } from "./report/align.js";
export type { RunsThrough } from "./report/model.js";
export {
  commandIn,
  describeFailure,
  type FailureContext,
  failureHint,
  type HintVoice,
  QUS_VOICE,
} from "./report/probe-words.js";
export { shouldColor } from "./report/render-table.js";
export { whyNotOk } from "./report/why-not.js";
export type { StdioTarget } from "./run/foreground-process.js";
export { RUN_STATUS } from "./run/run-status.js";
export {
  planRun,
  type RunOutcome,
  type RunPlan,
  type RunWithEmulationOptions,
  runWithEmulation,
} from "./run/run-with-emulation.js";
export { formatCommand, quoteShellArg } from "./shell-quote.js";
export { canonicalPlatform, entryName, interpreterBase, requireTarget, targetByCpu } from "./targets.js";
export { QUS_VERSION } from "./version.js";
