import { release } from "node:os";
import { errnoCode, isQusError, QusError } from "../../errors.js";
import type { PlanStep } from "../../plan.js";
import type { QemuCpu, Target } from "../../targets.js";
import type { ApplyOutcome, RemoveOutcome } from "../types.js";
import { readEntries, readEntry, removeEntry, type WriteControl } from "./binfmt-fs.js";
import { readHostHeaders } from "./host.js";
import { kernelAtLeast } from "./kernel-version.js";
import { kernelWrite, type LocalContext, probeTargets } from "./local-context.js";
import { qemuVersions } from "./qemu-versions.js";
import { register } from "./register-entry.js";

/** Applies the plan's steps to this machine's binfmt_misc (as root), then proves the targets to verify. */
export async function applyLocal(
  context: LocalContext,
  steps: readonly PlanStep[],
  verify: readonly Target[],
): Promise<ApplyOutcome> {
  const { exec, dir, host, isRoot, write } = context;
  requireRoot(isRoot, "change binfmt_misc entries");
  const hostHeaders = readHostHeaders();
  const failures = new Map<QemuCpu, QusError>();
  for (const step of steps) {
    try {
      for (const name of step.remove) {
        await kernelWrite(context, `remove ${name}`, `${dir}/${name}`, () => removeEntry(name, dir, write));
      }
      const { enable, register: registration } = step;
      if (enable)
        await kernelWrite(context, `enable ${enable}`, `${dir}/${enable}`, () => enableEntry(enable, dir, write));
      if (registration) {
        await kernelWrite(context, `register ${registration.name}`, `${dir}/register`, () =>
          register(registration, step.target.cpu, hostHeaders, { exec, host, write }, dir),
        );
      }
    } catch (error) {
      failures.set(step.target.cpu, toKernelError(error, step));
    }
  }
  const verifyCpus = verify.map((target) => target.cpu).filter((cpu) => !failures.has(cpu));
  const interpreters = steps.flatMap((step) => (step.register ? [step.register.interpreter] : []));
  const [probes, versions] = await Promise.all([probeTargets(context, verifyCpus), qemuVersions(exec, interpreters)]);
  const entries = readEntries(dir);
  return { entries, failures, probes, qemuVersions: versions };
}

/** Removes binfmt_misc entries by name (as root); each failure is its entry's. */
export async function removeLocal(context: LocalContext, names: readonly string[]): Promise<RemoveOutcome> {
  const { dir, isRoot, write } = context;
  requireRoot(isRoot, "remove binfmt_misc entries");
  const removed: string[] = [];
  const failures = new Map<string, QusError>();
  for (const name of names) {
    try {
      await kernelWrite(context, `remove ${name}`, `${dir}/${name}`, () => removeEntry(name, dir, write));
      removed.push(name);
    } catch (error) {
      failures.set(
        name,
        isQusError(error)
          ? error
          : new QusError("QUS_KERNEL_WRITE_FAILED", `could not remove ${name}: ${errnoCode(error) ?? String(error)}`, {
              hint: "check `dmesg` and the entry with qus status",
              cause: error,
            }),
      );
    }
  }
  return { removed, failures, entries: readEntries(dir) };
}

/** Enables an entry; one that a concurrent run removed meanwhile is named as such. */
async function enableEntry(name: string, dir: string, write: WriteControl): Promise<void> {
  try {
    await write(`${dir}/${name}`, "1");
  } catch (error) {
    if (readEntry(name, dir)) throw error;
    throw new QusError("QUS_KERNEL_WRITE_FAILED", `${name} was removed by another program while qus enabled it`, {
      hint: "run qus ensure again",
      cause: error,
    });
  }
}

function requireRoot(isRoot: boolean, what: string): void {
  if (!isRoot) {
    throw new QusError("QUS_NOT_ROOT", `qus must run as root to ${what}`, {
      hint: "run it with sudo, or as root in CI (qus status and qus verify work without root)",
    });
  }
}

function toKernelError(error: unknown, step: PlanStep): QusError {
  if (isQusError(error)) return error;
  const code = errnoCode(error);
  const name = step.register?.name ?? step.enable ?? step.remove[0] ?? step.target.cpu;
  if (code === "EINVAL" && step.register?.flags.includes("F") && !kernelAtLeast(4, 8)) {
    return new QusError("QUS_KERNEL_NO_F_FLAG", `kernel ${release()} does not know the F flag (Linux 4.8+)`, {
      hint: "upgrade the kernel, or pass --flags without F (then emulation does not work inside containers)",
      cause: error,
    });
  }
  if (code === "ENOENT" && step.register) {
    return new QusError(
      "QUS_INTERPRETER_MISSING",
      `the interpreter ${step.register.interpreter} of ${name} does not exist`,
      {
        hint: "install qemu-user-static (apt-get install qemu-user-static) or pass --qemu-path DIR",
        cause: error,
      },
    );
  }
  return new QusError("QUS_KERNEL_WRITE_FAILED", `the kernel refused ${name}: ${code ?? String(error)}`, {
    hint: "check `dmesg` and the entry with `qus status`",
    cause: error,
  });
}
