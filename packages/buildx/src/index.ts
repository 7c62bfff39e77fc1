export { bootstrap } from "./bootstrap.js";
export type { BootstrapOptions } from "./bootstrap-options.js";
export type { BootstrapReport, PlatformProof } from "./bootstrap-report.js";
export { type BuildxTimeouts, DEFAULT_TIMEOUTS } from "./buildx-command.js";
export { BUILDER_NAME } from "./input-checks.js";
export { type BuilderInfo, type BuilderNode, parseInspect } from "./inspect.js";
export { provenReport } from "./proven-report.js";
export { renderBootstrap } from "./render.js";
