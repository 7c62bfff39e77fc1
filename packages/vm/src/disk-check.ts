import { closeSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from "node:fs";
import { QusError } from "@qus/core";
import { runStep, type StepOptions } from "./run-step.js";
import { requireProgram } from "./tools.js";

/** A disk qus has looked at and will open: a regular file, its format read from its own header, never guessed. */
export interface CheckedDisk {
  /** Its real path (links resolved). */
  readonly path: string;
  readonly format: "qcow2" | "raw";
}

/**
 * Checks a disk before qus (often as root) reads or boots it: it must be a regular file, not in use by a QEMU, and a
 * qcow2 must stand alone. A qcow2 naming a backing file or an external data file would hand that file's contents
 * (any file or device root can read) to the image or the guest, so it is refused.
 */
export async function checkDisk(options: StepOptions, disk: string): Promise<CheckedDisk> {
  const path = realPathOf(disk);
  if (!statSync(path).isFile()) {
    throw new QusError("QUS_VM_DISK_REFUSED", `${disk} is not a regular file`, {
      hint: "give a disk file that qus vm create or qus vm from-image wrote, not a device or a folder",
    });
  }
  refuseInUse(path, disk);
  const format = headerFormat(path);
  if (format === "qcow2") refuseLinkedFiles(await qcow2Info(options, path), disk);
  return { path, format };
}

/**
 * The source argument of `qemu-img convert -f FORMAT` for a checked disk. A qcow2 is opened with its backing file
 * switched off, so a disk swapped after the check still cannot pull in another file.
 */
export function convertSource(disk: CheckedDisk): string {
  if (disk.format === "raw") return disk.path;
  return `json:${JSON.stringify({ driver: "qcow2", backing: null, file: { driver: "file", filename: disk.path } })}`;
}

function realPathOf(disk: string): string {
  try {
    return realpathSync(disk);
  } catch (cause) {
    throw new QusError("QUS_VM_NOT_FOUND", `${disk} does not exist`, {
      cause,
      hint: "give a VM folder (qus vm create) or a disk qus wrote (qus vm from-image)",
    });
  }
}

/** qcow2 by its magic, raw otherwise: qemu-img is never left to probe a format itself. */
export function headerFormat(path: string): "qcow2" | "raw" {
  const fd = openSync(path, "r");
  try {
    const magic = Buffer.alloc(4);
    readSync(fd, magic, 0, 4, 0);
    return magic.toString("latin1") === "QFI\xfb" ? "qcow2" : "raw";
  } finally {
    closeSync(fd);
  }
}

interface Qcow2Info {
  readonly "backing-filename"?: string;
  readonly "full-backing-filename"?: string;
  readonly "format-specific"?: { readonly data?: { readonly "data-file"?: string } };
}

async function qcow2Info(options: StepOptions, path: string): Promise<Qcow2Info> {
  const text = await runStep(
    options,
    [requireProgram("qemu-img"), "info", "--output=json", "--force-share", "-f", "qcow2", path],
    { what: `reading the qcow2 header of ${path}`, code: "QUS_VM_DISK_REFUSED" },
  );
  try {
    return JSON.parse(text) as Qcow2Info;
  } catch (cause) {
    throw new QusError("QUS_VM_DISK_REFUSED", `qemu-img info printed what qus cannot read for ${path}`, { cause });
  }
}

function refuseLinkedFiles(info: Qcow2Info, disk: string): void {
  const backing = info["full-backing-filename"] ?? info["backing-filename"];
  const dataFile = info["format-specific"]?.data?.["data-file"];
  const linked = backing ? `a backing file (${backing})` : dataFile ? `an external data file (${dataFile})` : "";
  if (!linked) return;
  throw new QusError("QUS_VM_DISK_REFUSED", `${disk} names ${linked}: qus reads only disks that stand alone`, {
    hint: `flatten it first if you trust it: qemu-img convert -O qcow2 ${disk} flat.qcow2`,
  });
}

/** A disk a running QEMU holds (a VM of `qus vm start`, a `qus vm run`, or anyone's) is refused by name. */
function refuseInUse(path: string, disk: string): void {
  const pid = qemuHolding(path);
  if (pid === undefined) return;
  throw new QusError("QUS_VM_RUNNING", `${disk} is in use by a running QEMU (pid ${pid})`, {
    hint: "stop that VM first (qus vm stop DIR, or qus vm status to find it), then run this again",
  });
}

/** The pid of a live qemu-system process whose command line names `path`, if any. */
export function qemuHolding(path: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!(argv[0] ?? "").includes("qemu-system-")) continue;
      if (/\) Z /.test(readFileSync(`/proc/${entry}/stat`, "utf8"))) continue;
      if (argv.some((arg) => namesFile(arg, path))) return Number(entry);
    } catch {
      // Ended while listed, or not ours to read.
    }
  }
  return undefined;
}

/** Whether a QEMU argument (`file=PATH,...` with QEMU's doubled commas) names `path`. */
function namesFile(arg: string, path: string): boolean {
  if (arg === path) return true;
  const fields = arg.replaceAll(",,", "\0").split(",");
  return fields.some((field) => field.replaceAll("\0", ",") === `file=${path}`);
}
