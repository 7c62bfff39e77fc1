export {
  type BootstrapOptions,
  type BootstrapReport,
  bootstrap,
  type PlatformProof,
  requestedPlatforms,
} from "./bootstrap.js";
export { type BuildxCli, createBuildxCli, proofBuildArgs } from "./buildx-command.js";
export { type BuilderInfo, type BuilderNode, nodeLines, parseInspect } from "./inspect.js";
export { PROOF_DOCKERFILE, type Proof, proveOne } from "./prove.js";
export { renderBootstrap } from "./render.js";
