/**
 * @qus/k8s: QEMU emulation on every node of a Kubernetes cluster, proven per node and kept so. `daemonSetManifest`
 * gives the objects to apply; `labelNode` is what its labeller runs on each node; `clusterStatus` reads every node's
 * state back.
 */
export {
  type ClusterStatusOptions,
  clusterStatus,
  defaultKubeConfig,
  type LabelNodeOptions,
  type LabelOutcome,
  labelNode,
  watchNode,
} from "./cluster.js";
export {
  APP_NAME,
  daemonSetManifest,
  HOST_BINFMT,
  type KubeObject,
  LABEL_PREFIX,
  type ManifestOptions,
  PROVEN_DIR,
} from "./manifest.js";
export {
  labelPatch,
  type NodeFacts,
  type NodeStatus,
  nodeStatus,
  PROVEN_ANNOTATION,
  PROVEN_AT_ANNOTATION,
  parseProvenFile,
  platformLabel,
} from "./node-state.js";
export { renderManifest } from "./render.js";
export { UNINSTALL_NAME, uninstallManifest } from "./uninstall-manifest.js";
