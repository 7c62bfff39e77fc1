import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { QusError } from "@qus/core";
import { execProcess } from "@qus/core/runner";
import { onInterrupt } from "@qus/core/toolkit";
import { dumpFile, rawCopy, requireExt4 } from "./disk.js";
import { checkDisk } from "./disk-check.js";
import { INIT_PROTOCOL, RUN_BEGIN, RUN_EXIT } from "./init-script.js";
import { DISK_BOOT_DIR, readVm, VM_FILES } from "./manifest.js";
import { qemuCommand } from "./qemu-command.js";
import { type StepOptions, tail } from "./run-step.js";
import { canUseKvm } from "./start.js";
import { isVmProcess, readState } from "./state.js";
import { requireProgram } from "./tools.js";

/** How long `qus vm run` lets the command run by default, boot included. */
export const DEFAULT_RUN_TIMEOUT_MS = 300_000;

/** Options of {@link runOnDisk}. */
export interface RunOnDiskOptions extends StepOptions {
  /** A VM folder, or a disk qus wrote (it carries its kernel in /boot/qus). */
  readonly disk: string;
  readonly argv: readonly string[];
  readonly timeoutMs?: number;
  readonly memoryMb?: number;
}

/** What the command printed and how it ended, on the guest's own kernel. */
export interface RunResult {
  readonly output: string;
  readonly exitCode: number;
  readonly arch: string;
  readonly ms: number;
}

/**
 * Boots the disk with qus's initrd and runs `argv` as the only process on it (no systemd, no network), then powers
 * off. The disk is not changed: the guest writes to a temporary overlay.
 */
export async function runOnDisk(options: RunOnDiskOptions): Promise<RunResult> {
  if (options.argv.length === 0) {
    throw new QusError("QUS_USAGE", "qus vm run needs a command after --", {
      hint: "e.g. qus vm run DISK -- uname -m",
    });
  }
  const target = resolve(options.disk);
  if (!existsSync(target)) {
    throw new QusError("QUS_VM_NOT_FOUND", `${options.disk} does not exist`, {
      hint: "give a VM folder (qus vm create) or a disk qus wrote (qus vm from-image)",
    });
  }
  const scratch = mkdtempSync(join(tmpdir(), "qus-vm-run-"));
  const forget = onInterrupt(() => rmSync(scratch, { recursive: true, force: true }));
  try {
    const folder = statSync(target).isDirectory();
    if (folder) refuseRunning(target);
    // A folder names its architecture: its system emulator is asked for first, the one tool run cannot do without.
    if (folder) requireProgram(readVm(target).arch.qemuSystem);
    const disk = await checkDisk(options, folder ? join(target, VM_FILES.disk) : target);
    const boot = folder ? { ...readVm(target), dir: target } : await bootFilesOfDisk(options, disk.path, scratch);
    if (boot.manifest.initrd?.protocol !== INIT_PROTOCOL) {
      throw new QusError(
        "QUS_VM_NOT_FOUND",
        `${options.disk} has an initrd of another qus, which would garble the command`,
        {
          hint: "write the disk again with this qus (qus vm create or qus vm from-image)",
        },
      );
    }
    const argv = qemuCommand({
      arch: boot.arch,
      kernel: join(boot.dir, VM_FILES.kernel),
      initrd: join(boot.dir, VM_FILES.initrd),
      disk: disk.path,
      diskFormat: disk.format,
      snapshot: true,
      memoryMb: options.memoryMb ?? 1024,
      cpus: 1,
      kvm: canUseKvm(boot.arch),
      mode: { kind: "run", argv: options.argv },
    });
    const append = argv[argv.indexOf("-append") + 1] ?? "";
    if (append.length >= boot.arch.maxCommandLine) {
      throw new QusError("QUS_USAGE", "the command is too long for the guest kernel's command line", {
        hint: "put it in a script on the disk and run that",
      });
    }
    const qemu = requireProgram(boot.arch.qemuSystem);
    const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const started = Date.now();
    const result = await (options.exec ?? execProcess)(qemu, argv.slice(1), { timeoutMs });
    const console = result.stdout.replaceAll("\r\n", "\n");
    if (result.timedOut) {
      throw new QusError(
        "QUS_TIMEOUT",
        `the command did not end within ${Math.round(timeoutMs / 1000)} s; the VM was stopped`,
        {
          hint: `give it longer with --timeout SECS; the console's last lines:\n${tail(console, 10)}`,
        },
      );
    }
    const parsed = parseRunConsole(console);
    if (!parsed) {
      throw new QusError(
        "QUS_VM_BOOT_FAILED",
        `the VM ended before the command reported its exit status (QEMU exit ${result.exitCode ?? result.signal})`,
        {
          hint: `the console's last lines:\n${tail(`${console}\n${result.stderr}`.trim(), 15)}`,
        },
      );
    }
    return { ...parsed, arch: boot.arch.debian, ms: Date.now() - started };
  } finally {
    forget();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The command's output and exit status from the console of a `qus.mode=run` boot, or undefined if it never ended. */
export function parseRunConsole(console: string): { output: string; exitCode: number } | undefined {
  const begin = console.indexOf(`${RUN_BEGIN}\n`);
  const end = console.lastIndexOf(`\n${RUN_EXIT}`);
  if (begin < 0 || end < begin) return undefined;
  const status = /^(\d+)/.exec(console.slice(end + RUN_EXIT.length + 1));
  if (!status) return undefined;
  return { output: console.slice(begin + RUN_BEGIN.length + 1, end), exitCode: Number(status[1]) };
}

/** A lone disk's kernel, initrd and manifest, copied out of its /boot/qus into `scratch`. */
async function bootFilesOfDisk(options: StepOptions, disk: string, scratch: string) {
  const { raw, done } = await rawCopy(options, disk);
  try {
    requireExt4(raw, disk);
    for (const file of [VM_FILES.kernel, VM_FILES.initrd, VM_FILES.manifest]) {
      await dumpFile(options, raw, `/${DISK_BOOT_DIR}/${file}`, scratch, file);
      if (!existsSync(join(scratch, file)) || statSync(join(scratch, file)).size === 0) {
        throw new QusError("QUS_VM_NOT_FOUND", `${disk} has no /${DISK_BOOT_DIR}/${file}`, {
          hint: "qus vm run boots disks that qus vm create or qus vm from-image wrote",
        });
      }
    }
  } finally {
    done();
  }
  return { ...readVm(scratch), dir: scratch };
}

/** A VM that `qus vm start` runs holds its disk: a second QEMU on it would be refused by QEMU's lock anyway. */
function refuseRunning(dir: string): void {
  const state = readState(dir);
  if (state && isVmProcess(state.pid, dir)) {
    throw new QusError("QUS_VM_RUNNING", `the VM ${state.name} runs from ${dir}; its disk is in use`, {
      hint: `use it through docker --context ${state.context ?? state.name}, or stop it first: qus vm stop ${dir}`,
    });
  }
}
