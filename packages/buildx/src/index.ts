export {
  type BootstrapOptions,
  type BootstrapReport,
  BUILDER_NAME,
  bootstrap,
  type PlatformProof,
  requestedPlatforms,
  validateBuilderName,
  validateDriverOpt,
} from "./bootstrap.js";
export {
  type BuildxCli,
  type BuildxTimeouts,
  createBuildxCli,
  DEFAULT_TIMEOUTS,
  proofBuildArgs,
} from "./buildx-command.js";
export { type BuilderInfo, type BuilderNode, nodeLines, nodeNames, parseInspect } from "./inspect.js";
export { PROOF_DOCKERFILE, type Proof, type ProofOptions, proveOne } from "./prove.js";
export { renderBootstrap } from "./render.js";
