export {
  type BootstrapOptions,
  type BootstrapReport,
  BUILDER_NAME,
  bootstrap,
  type PlatformProof,
} from "./bootstrap.js";
export { type BuildxTimeouts, DEFAULT_TIMEOUTS } from "./buildx-command.js";
export { type BuilderInfo, type BuilderNode, parseInspect } from "./inspect.js";
export { provenReport } from "./proven-report.js";
export { renderBootstrap } from "./render.js";
