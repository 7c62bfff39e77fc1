/**
 * @qus/vm: foreign-architecture virtual machines that run Docker, built from Debian packages (`createVm`), booted in
 * the background with their dockerd on a loopback port and a docker context (`startVm`, `stopVm`, `vmStatus`), or
 * booted for one command (`runOnDisk`); and container images turned into bootable disks and back.
 */
export { VM_ARCHES, type VmArch, vmArch } from "./arches.js";
export { type FromImageOptions, fromImage, type ToImageOptions, toImage } from "./convert.js";
export { type CreatedVm, type CreateVmOptions, createVm } from "./create.js";
export { dockerHostOf } from "./docker-context.js";
export { readVm, VM_FILES, type VmManifest } from "./manifest.js";
export { DEFAULT_RUN_TIMEOUT_MS, type RunOnDiskOptions, type RunResult, runOnDisk } from "./run.js";
export { DEFAULT_BOOT_TIMEOUT_MS, type StartedVm, type StartVmOptions, startVm } from "./start.js";
export { registryDir, type VmState } from "./state.js";
export { type VmStatus, vmStatus } from "./status.js";
export { DEFAULT_STOP_TIMEOUT_MS, type StoppedVm, type StopVmOptions, stopVm } from "./stop.js";
