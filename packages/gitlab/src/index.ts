export {
  defaultOptions,
  type GitlabOptions,
  JOB_PREFIX,
  MODES,
  type Mode,
  packageVersion,
  resolveOptions,
} from "./options.js";
export { COMPONENT_PATH, integrityOf, renderComponent } from "./render.js";
export { REPORT_DIR } from "./script.js";
