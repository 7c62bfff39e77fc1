/**
 * @qus/core: QEMU user-mode emulation in binfmt_misc as one verified, idempotent operation. What a user of the
 * library needs: the operations and their options, the drivers that reach a kernel, the report and its renderers,
 * errors and exit codes, platforms and targets, and explaining why a program does not run.
 *
 * Writing a container runner (a new engine): `@qus/core/runner`. The pieces qus's own adapters share (quoting,
 * interrupts, the binfmt model, the plan, QEMU supply): `@qus/core/toolkit`, with no promise of stability.
 */
export { type ContainerDriverOptions, createContainerDriver } from "./drivers/container/index.js";
export { createLocalDriver, type LocalDriverOptions } from "./drivers/local/index.js";
export type { Driver } from "./drivers/types.js";
export { EXIT_CODES, exitCodeOf, isQusError, QusError, type QusErrorCode, type QusErrorKind } from "./errors.js";
export { type Explanation, explainFiles, explainImage, renderExplanation } from "./explain/index.js";
export { QUS_IMAGE } from "./installer-image.js";
export { type EnsureOptions, ensure } from "./operations/ensure.js";
export { type PersistOptions, persist } from "./operations/persist.js";
export { type RemoveOptions, remove } from "./operations/remove.js";
export { type StatusOptions, status, verify } from "./operations/status.js";
export { platformNames, resolvePlatforms } from "./platform.js";
export type { EntryState, PersistedFile, PlatformReport, Report, ReportAction } from "./report/model.js";
export { renderJson } from "./report/render-json.js";
export { renderJunit } from "./report/render-junit.js";
export { renderMarkdown } from "./report/render-markdown.js";
export { renderTable, type TableOptions } from "./report/render-table.js";
export { type QemuCpu, TARGETS, type Target } from "./targets.js";
