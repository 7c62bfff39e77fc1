import { closeSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { QusError } from "@qus/core";
import { onInterrupt } from "@qus/core/toolkit";
import { checkDisk, convertSource } from "./disk-check.js";
import { runStep, type StepOptions } from "./run-step.js";
import { removeTree } from "./safe-remove.js";
import { requireProgram } from "./tools.js";

/** `--size`: a whole number of MiB or GiB (`512M`, `4G`). */
export function parseSize(size: string): string {
  if (/^[1-9]\d{0,5}[MG]$/.test(size)) return size;
  throw new QusError("QUS_USAGE", `--size ${JSON.stringify(size)} is not a disk size`, {
    hint: "give whole MiB or GiB, e.g. --size 4G or --size 1536M",
  });
}

/**
 * Writes the folder `root` as an ext4 file system into a qcow2 disk `out`, keeping owners, modes (setuid too),
 * device nodes and links: `mkfs.ext4 -d` reads the folder as it is, `qemu-img` makes the sparse qcow2.
 */
export async function writeDisk(options: StepOptions, root: string, size: string, out: string): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "qus-disk-"));
  try {
    const raw = join(scratch, "disk.raw");
    await runStep(
      options,
      [requireProgram("mkfs.ext4"), "-q", "-F", "-t", "ext4", "-L", "qus-root", "-d", root, raw, size],
      {
        what: `writing the file system (${size}; a larger --size helps if it is full)`,
        timeoutMs: 600_000,
        writes: [scratch],
      },
    );
    await runStep(options, [requireProgram("qemu-img"), "convert", "-f", "raw", "-O", "qcow2", raw, out], {
      what: "converting the disk to qcow2",
      timeoutMs: 600_000,
      writes: [dirname(out)],
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * A raw copy of `disk` (qcow2 or raw, checked by {@link checkDisk} and opened with its format named) in a new
 * scratch folder, for tools that read raw images. `done()` removes it (an interrupt does too, unmounting first).
 */
export async function rawCopy(
  options: StepOptions,
  disk: string,
): Promise<{ raw: string; scratch: string; done(): void }> {
  const checked = await checkDisk(options, disk);
  const scratch = mkdtempSync(join(tmpdir(), "qus-raw-"));
  const raw = join(scratch, "disk.raw");
  const forget = onInterrupt(() => removeTree(scratch));
  const done = () => {
    forget();
    removeTree(scratch);
  };
  try {
    const convert = ["convert", "-f", checked.format, "-O", "raw", convertSource(checked), raw];
    await runStep(options, [requireProgram("qemu-img"), ...convert], {
      what: `reading the disk ${disk}`,
      code: "QUS_VM_DISK_REFUSED",
      timeoutMs: 600_000,
      writes: [scratch],
    });
  } catch (error) {
    done();
    throw error;
  }
  return { raw, scratch, done };
}

/** The ext4 superblock's magic (0xEF53, little-endian) at byte 1080 of a raw file system image. */
export function isExt4(raw: string): boolean {
  const fd = openSync(raw, "r");
  try {
    const magic = Buffer.alloc(2);
    return readSync(fd, magic, 0, 2, 1080) === 2 && magic.readUInt16LE(0) === 0xef53;
  } finally {
    closeSync(fd);
  }
}

/** Refuses a raw image that is not an ext4 file system (qus's disks have no partition table). */
export function requireExt4(raw: string, disk: string): void {
  if (isExt4(raw)) return;
  throw new QusError("QUS_VM_DISK_REFUSED", `${disk} is not an ext4 disk`, {
    hint: "qus reads the disks qus vm create and qus vm from-image write: one ext4 file system, no partitions",
  });
}

/**
 * Copies the file `path` (qus's own, no spaces or quotes) out of the ext4 image `raw` into `dir/name`, without
 * mounting it. debugfs parses its request itself, so the output is a bare name in the working folder.
 */
export async function dumpFile(
  options: StepOptions,
  raw: string,
  path: string,
  dir: string,
  name: string,
): Promise<void> {
  await runStep(options, [requireProgram("debugfs"), "-R", `dump ${path} ${name}`, raw], {
    what: `reading ${path}`,
    cwd: dir,
  });
}
