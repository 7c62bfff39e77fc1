import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { QusError } from "@qus/core";
import type { EngineCommand } from "@qus/core/runner";
import { isImageReference, onInterrupt, quoteInput } from "@qus/core/toolkit";
import { type VmArch, vmArch } from "./arches.js";
import { copyBootFiles, giveToSudoUser } from "./create.js";
import { parseSize, rawCopy, requireExt4, writeDisk } from "./disk.js";
import { writeDockerArchive } from "./docker-archive.js";
import { dockerStep, requireHostDocker } from "./host-docker.js";
import { unpackImage } from "./image-export.js";
import { INIT_PROTOCOL } from "./init-script.js";
import { buildInitrd, INITRD_MODULES } from "./initrd.js";
import { unpackKernel } from "./kernel.js";
import { readVm, VM_FILES, type VmManifest, vmName } from "./manifest.js";
import { sourceLine } from "./mirror.js";
import { judgeStep, runStep, type StepOptions } from "./run-step.js";
import { removeTree } from "./safe-remove.js";
import { requireProgram } from "./tools.js";

/** Options of {@link fromImage}. */
export interface FromImageOptions extends StepOptions {
  /** A container image the local engine has (pull it first). */
  readonly image: string;
  /** The qcow2 disk to write. */
  readonly out: string;
  /** Disk size; by default the image's size and a margin. */
  readonly size?: string;
  /** The Debian suite whose kernel boots the disk (bookworm by default). */
  readonly suite?: string;
  readonly mirror?: string;
  readonly createdBy?: string;
}

/**
 * Writes a container image's file system into a bootable qcow2 disk, owners, setuid bits and device nodes kept,
 * with a Debian kernel and qus's initrd added in /boot/qus: `qus vm run DISK -- CMD` boots it.
 */
export async function fromImage(options: FromImageOptions): Promise<{ disk: string; manifest: VmManifest }> {
  if (!isImageReference(options.image)) {
    throw new QusError("QUS_USAGE", `${quoteInput(options.image)} is not an image reference`, {
      hint: "name an image as docker does, e.g. debian:bookworm or registry:5000/team/app@sha256:...",
    });
  }
  const out = resolve(options.out);
  if (lstatSync(out, { throwIfNoEntry: false })) {
    throw new QusError("QUS_USAGE", `--out ${out} exists`, { hint: "give a new file name, or remove that one first" });
  }
  const suite = options.suite ?? "bookworm";
  sourceLine(suite, options.mirror);
  requireRoot("qus vm from-image");
  const docker = requireHostDocker(options);
  for (const tool of ["mmdebstrap", "tar", "mkfs.ext4", "depmod", "qemu-img"]) requireProgram(tool);
  const arch = await imageArch(docker, options.image);
  const scratch = mkdtempSync(join(tmpdir(), "qus-from-image-"));
  const forget = onInterrupt(() => removeTree(scratch));
  try {
    options.onProgress?.(`exporting ${options.image} (${arch.platform})`);
    const root = join(scratch, "root");
    mkdirSync(root);
    const archiveBytes = await exportImage(options, docker, arch, root);
    options.onProgress?.(`adding Debian's ${arch.kernelPackage} (${suite}) and qus's initrd`);
    const kernel = await unpackKernel(options, arch, suite, join(scratch, "kernel"));
    const vm = join(scratch, "vm");
    mkdirSync(vm);
    const size = options.size ? parseSize(options.size) : defaultSize(archiveBytes);
    const manifest = imageManifest(options, arch, suite, size, kernel.version);
    writeFileSync(join(vm, VM_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(join(vm, VM_FILES.initrd), buildInitrd(kernel));
    await runStep(options, ["cp", kernel.vmlinuz, join(vm, VM_FILES.kernel)], { what: "copying the kernel" });
    copyBootFiles(vm, root);
    options.onProgress?.(`writing the ${size} disk ${out}`);
    await writeDiskOnce(options, root, size, out);
    return { disk: out, manifest };
  } finally {
    forget();
    removeTree(scratch);
  }
}

/** Unpacks the image's file system into `root` through a created container, removed after; the archive's size. */
async function exportImage(
  options: FromImageOptions,
  docker: EngineCommand,
  arch: VmArch,
  root: string,
): Promise<number> {
  const container = (
    await dockerStep(docker, ["create", "--platform", arch.platform, options.image, "qus-export"], {
      what: `creating a container of ${options.image}`,
    })
  ).trim();
  try {
    return await unpackImage(options, docker, options.image, container, root);
  } finally {
    await dockerStep(docker, ["rm", "--force", container], { what: "removing the export container" }).catch(() => {});
  }
}

/** The manifest of a disk made from an image: no Debian packages of its own, the image as its source. */
function imageManifest(
  options: FromImageOptions,
  arch: VmArch,
  suite: string,
  size: string,
  kernelVersion: string,
): VmManifest {
  return {
    schemaVersion: 1,
    name: vmName(`qus-${arch.debian}`),
    arch: arch.debian,
    platform: arch.platform,
    suite,
    docker: false,
    diskSize: size,
    kernel: { package: arch.kernelPackage, version: kernelVersion },
    initrd: { modules: [...INITRD_MODULES], protocol: INIT_PROTOCOL },
    qemu: { system: arch.qemuSystem, package: arch.qemuPackage, machine: arch.machine, cpu: arch.cpu },
    packages: [],
    source: options.image,
    createdAt: new Date().toISOString(),
    createdBy: options.createdBy ?? "qus",
  };
}

/** Writes the disk beside `out`, then links it into place: never over a file that took the name meanwhile. */
async function writeDiskOnce(options: FromImageOptions, root: string, size: string, out: string): Promise<void> {
  mkdirSync(dirname(out), { recursive: true });
  const partial = `${out}.partial-${process.pid}`;
  try {
    await writeDisk(options, root, size, partial);
    try {
      linkSync(partial, out);
    } catch (cause) {
      throw new QusError("QUS_VM_BUILD_FAILED", `cannot write ${out}: ${(cause as Error).message}`, {
        cause,
        hint: "give a new file name in a folder you can write",
      });
    }
    giveToSudoUser(out);
  } finally {
    rmSync(partial, { force: true });
  }
}

/** `[host[:port]/]name[/name...][:tag]`, the names `docker load` takes from an archive (no digest). */
const IMAGE_NAME =
  /^([a-zA-Z0-9.-]+(:\d+)?\/)?[a-z0-9]+([._-]+[a-z0-9]+)*(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

/** Options of {@link toImage}. */
export interface ToImageOptions extends StepOptions {
  /** A VM folder, or a disk qus wrote. */
  readonly disk: string;
  readonly tag: string;
  /** The image's platform when the disk carries no qus manifest. */
  readonly platform?: string;
}

/**
 * Loads a disk's root file system into the local engine as a one-layer image of the guest's platform (owners,
 * setuid bits, device nodes and extended attributes kept; qus's /boot/qus left out). The image runs on the host
 * through binfmt_misc.
 */
export async function toImage(options: ToImageOptions): Promise<{ tag: string; platform: string }> {
  if (!IMAGE_NAME.test(options.tag)) {
    throw new QusError("QUS_USAGE", `--tag ${JSON.stringify(options.tag)} is not an image name`, {
      hint: "lower-case name components and an optional tag, e.g. --tag my/arm64-root:1",
    });
  }
  requireRoot("qus vm to-image");
  const docker = requireHostDocker(options);
  const target = resolve(options.disk);
  if (!existsSync(target)) {
    throw new QusError("QUS_VM_NOT_FOUND", `${options.disk} does not exist`, { hint: "give a VM folder or a disk" });
  }
  const disk = statSync(target).isDirectory() ? join(target, VM_FILES.disk) : target;
  const arch = options.platform
    ? vmArch(options.platform, "--platform")
    : statSync(target).isDirectory()
      ? readVm(target).arch
      : undefined;
  const { raw, scratch, done } = await rawCopy(options, disk);
  const mountPoint = join(scratch, "root");
  mkdirSync(mountPoint);
  let mounted = false;
  try {
    requireExt4(raw, options.disk);
    // The disk is the user's: its device nodes and setuid programs are archived, never opened or run on the host.
    await runStep(options, [requireProgram("mount"), "-o", "loop,ro,nodev,nosuid,noexec", raw, mountPoint], {
      what: `mounting ${options.disk} (an ext4 file system without partitions)`,
    });
    mounted = true;
    const platform = (arch ?? diskArch(mountPoint, options.disk)).platform;
    const layer = join(scratch, "layer.tar");
    options.onProgress?.(`packing the disk's file system as a ${platform} layer`);
    await runStep(
      options,
      [
        "tar",
        "--create",
        "--numeric-owner",
        "--xattrs",
        "--xattrs-include=*",
        "--exclude=./lost+found",
        "--exclude=./boot/qus",
        "--file",
        layer,
        "--directory",
        mountPoint,
        ".",
      ],
      { what: "packing the disk's file system", timeoutMs: 600_000, writes: [scratch] },
    );
    const archive = await writeDockerArchive(options, {
      layer,
      tag: options.tag,
      platform,
      dir: join(scratch, "image"),
    });
    await dockerStep(docker, ["load", "--input", archive], {
      what: `loading ${options.tag}`,
      timeoutMs: 600_000,
    });
    return { tag: options.tag, platform };
  } finally {
    if (mounted)
      await runStep(options, [requireProgram("umount"), mountPoint], { what: "unmounting the disk" }).catch(() => {});
    done();
  }
}

/** The architecture of a mounted qus disk, from the manifest in its /boot/qus. */
function diskArch(mountPoint: string, disk: string): VmArch {
  const dir = join(mountPoint, "boot/qus");
  if (!existsSync(join(dir, VM_FILES.manifest))) {
    throw new QusError("QUS_USAGE", `${disk} carries no qus manifest, so its platform is unknown`, {
      hint: "say it: --platform linux/arm64",
    });
  }
  return readVm(dir).arch;
}

async function imageArch(docker: EngineCommand, image: string): Promise<VmArch> {
  const args = ["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}/{{.Variant}}", "--", image];
  const outcome = await docker.run(args, { timeoutMs: 60_000 });
  let facts: string;
  try {
    facts = judgeStep([docker.program, ...docker.global, ...args], outcome.result, {
      what: `reading the image ${image}`,
      code: "QUS_ENGINE_UNREACHABLE",
    });
  } catch (error) {
    // Only a missing image is the image's fault; an engine that does not answer keeps docker's own words.
    if (outcome.kind !== "refused" || outcome.failure !== "no-such-image") throw error;
    throw new QusError("QUS_IMAGE_MISSING", `the engine has no image ${image}`, {
      hint: `pull or build it first: docker pull --platform linux/arm64 ${image}`,
      cause: error,
    });
  }
  const [os, architecture, variant] = facts.trim().split("/");
  const platform = `${os}/${architecture}${variant && architecture !== "arm64" ? `/${variant}` : ""}`;
  return vmArch(platform, `the platform of ${image},`);
}

/** The image's size, a quarter more for the file system, and room for the kernel, rounded up to 64 MiB. */
export function defaultSize(imageBytes: number): string {
  const mib = Math.ceil((imageBytes * 1.25) / 2 ** 20) + 128;
  return `${Math.ceil(mib / 64) * 64}M`;
}

function requireRoot(command: string): void {
  if (process.getuid?.() !== 0) {
    throw new QusError("QUS_NOT_ROOT", `${command} needs root: it keeps the files' owners and device nodes`, {
      hint: "run it with sudo",
    });
  }
}
