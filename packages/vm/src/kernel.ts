import { readdirSync } from "node:fs";
import { join } from "node:path";
import { QusError } from "@qus/core";
import type { VmArch } from "./arches.js";
import { mmdebstrapCommand } from "./mirror.js";
import { runStep, type StepOptions } from "./run-step.js";
import { requireProgram } from "./tools.js";

/** A Debian kernel unpacked in a folder, with the static busybox qus's initrd is made of. */
export interface UnpackedKernel {
  readonly root: string;
  readonly version: string;
  readonly vmlinuz: string;
  readonly busybox: string;
}

/**
 * Unpacks the architecture's kernel package and busybox-static into `dir` (mmdebstrap's `extract` variant: no
 * maintainer scripts, so nothing runs under emulation) and writes the modules' index with the host's depmod.
 */
export async function unpackKernel(
  options: StepOptions & { readonly mirror?: string },
  arch: VmArch,
  suite: string,
  dir: string,
): Promise<UnpackedKernel> {
  const include = [arch.kernelPackage, "busybox-static"];
  const unpack = {
    variant: "extract",
    architecture: arch.debian,
    include,
    suite,
    dir,
    mirror: options.mirror,
  } as const;
  await runStep(options, mmdebstrapCommand(unpack), {
    what: `downloading ${arch.kernelPackage} (${suite}, ${arch.debian})`,
    timeoutMs: 900_000,
  });
  const vmlinuz = readdirSync(join(dir, "boot")).find((name) => name.startsWith("vmlinuz-"));
  if (!vmlinuz) {
    throw new QusError("QUS_VM_BUILD_FAILED", `${arch.kernelPackage} of ${suite} holds no /boot/vmlinuz-*`, {
      hint: "pick another --suite",
    });
  }
  const version = vmlinuz.slice("vmlinuz-".length);
  await runStep(options, [requireProgram("depmod"), "-b", dir, version], { what: "indexing the kernel's modules" });
  return { root: dir, version, vmlinuz: join(dir, "boot", vmlinuz), busybox: join(dir, "bin/busybox") };
}
