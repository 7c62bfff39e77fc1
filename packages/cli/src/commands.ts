import { BINFMT_COMMANDS } from "./binfmt-commands.js";
import { BUILDX_COMMAND } from "./buildx-command.js";
import type { Command } from "./command.js";
import { EXPLAIN_COMMAND } from "./commands/explain.js";
import { K8S_COMMANDS } from "./commands/k8s.js";
import { QEMU_COMMANDS } from "./commands/qemu.js";
import { RUN_COMMANDS } from "./commands/run.js";
import { VM_COMMANDS } from "./commands/vm.js";
import { GITLAB_COMMAND } from "./gitlab-command.js";
import { IMAGE_BUILD_COMMAND } from "./image-build-command.js";

export { driverFrom } from "./driver-choice.js";

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  ...BINFMT_COMMANDS,
  IMAGE_BUILD_COMMAND,
  ...QEMU_COMMANDS,
  EXPLAIN_COMMAND,
  ...K8S_COMMANDS,
  ...RUN_COMMANDS,
  ...VM_COMMANDS,
  BUILDX_COMMAND,
  GITLAB_COMMAND,
];
