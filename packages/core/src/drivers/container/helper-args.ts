import { buildExitProgram, buildProbe } from "../../probe/index.js";
import type { EngineInfo } from "../../runner/types.js";
import { interpreterBase, type QemuCpu, requireTarget } from "../../targets.js";
import { NO_HANDLER_STATUS } from "../probe-verdict.js";

// The words of the helper script's command line (helper-script.ts reads them).

/** `marker=...`: the program the helper runs to tell "no handler" from any other failure, for the engine's cpu. */
export function markerArg(info: EngineInfo): string {
  const cpu = info.cpu ?? "x86_64";
  return `marker=${Buffer.from(buildExitProgram(cpu, NO_HANDLER_STATUS)).toString("base64")}`;
}

/** `interp=CPU`, or `interp=CPU=BASE` when another cpu's emulator runs its programs (`interp=i486=qemu-i386`). */
export function interpArg(cpu: QemuCpu): string {
  const base = interpreterBase(requireTarget(cpu));
  return base === `qemu-${cpu}` ? `interp=${cpu}` : `interp=${cpu}=${base}`;
}

export function probeArg(cpu: QemuCpu): string {
  return `probe=${cpu}=${Buffer.from(buildProbe(cpu)).toString("base64")}`;
}
