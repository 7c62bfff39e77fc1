/** Builders for @qus/core's unit tests (not part of the public API): a target, a process result, an entry. */
import { type BinfmtEntry, parseEntry } from "./binfmt/entry.js";
import { decodeEscaped } from "./binfmt/escape.js";
import { effectiveFlags } from "./binfmt/flags.js";
import { renderRegister } from "./binfmt/register.js";
import type { ExecResult } from "./exec.js";
import { wantedRegistration } from "./plan.js";
import { type QemuCpu, requireTarget, type Target } from "./targets.js";

/** A target by QEMU cpu name. */
export const target = (cpu: QemuCpu): Target => requireTarget(cpu);

/** How a process ended: exit 0 with no output unless told otherwise. */
export function execResult(fields: Partial<ExecResult> = {}): ExecResult {
  return {
    exitCode: 0,
    signal: undefined,
    stdout: "",
    stderr: "",
    startError: undefined,
    timedOut: false,
    ...fields,
  };
}

/** Fields of an entry that tests vary. */
export interface EntryFields {
  readonly enabled?: boolean;
  readonly interpreter?: string;
  /** As the kernel prints them (`OCF`). */
  readonly flags?: string;
}

/** QEMU's entry for a cpu as the kernel prints it, registered as qus wants it unless told otherwise. */
export function qemuEntry(cpu: QemuCpu, fields: EntryFields = {}): BinfmtEntry {
  const { enabled = true, interpreter = `/usr/bin/qemu-${cpu}-static`, flags = "OCF" } = fields;
  return entryFromRegister(`qemu-${cpu}`, renderRegister(wantedRegistration(target(cpu), interpreter, "FC")), {
    enabled,
    flags,
    interpreter,
  });
}

/**
 * An entry as the kernel prints one registered from a register string (`:name:M:offset:magic:mask:interp:flags`):
 * flags in the kernel's order with C's implied O (`CF` prints as `OCF`), unless `fields` says otherwise.
 */
export function entryFromRegister(name: string, register: string, fields: EntryFields = {}): BinfmtEntry {
  const [, , , offset = "", magic = "", mask = "", interpreter = "", flags = ""] = register.split(":");
  const hex = (escaped: string) => Buffer.from(decodeEscaped(escaped)).toString("hex");
  const text = [
    fields.enabled === false ? "disabled" : "enabled",
    `interpreter ${fields.interpreter ?? interpreter}`,
    `flags: ${fields.flags ?? effectiveFlags(flags)}`,
    `offset ${offset || "0"}`,
    `magic ${hex(magic)}`,
    ...(mask ? [`mask ${hex(mask)}`] : []),
  ].join("\n");
  return parseEntry(name, `${text}\n`);
}
