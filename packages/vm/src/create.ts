import {
  chownSync,
  cpSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { createLocalDriver, type Driver, ensure, QusError } from "@qus/core";
import { commandIn, onInterrupt, platformProblems, QUS_VOICE } from "@qus/core/toolkit";
import { type VmArch, vmArch } from "./arches.js";
import { parseSize, writeDisk } from "./disk.js";
import { guestFiles } from "./guest-files.js";
import { INIT_PROTOCOL } from "./init-script.js";
import { buildInitrd, INITRD_MODULES } from "./initrd.js";
import { unpackKernel } from "./kernel.js";
import { DISK_BOOT_DIR, VM_FILES, type VmManifest, vmName } from "./manifest.js";
import { type DEFAULT_MIRROR, mmdebstrapCommand, sourceLine } from "./mirror.js";
import { DOCKER_PACKAGES, ROOT_PACKAGES } from "./recipe.js";
import { runStep, type StepOptions } from "./run-step.js";
import { removeTree } from "./safe-remove.js";
import { requireProgram } from "./tools.js";

/** Options of {@link createVm}. */
export interface CreateVmOptions extends StepOptions {
  /** Debian's name (`arm64`), an OCI platform (`linux/arm64`) or `uname -m` (`aarch64`). */
  readonly arch: string;
  /** The folder to write; it must not exist yet (or be empty). */
  readonly out: string;
  /** Debian suite (bookworm by default). */
  readonly suite?: string;
  /** Install docker.io and what dockerd needs, and let the host reach the guest's API. */
  readonly docker?: boolean;
  /** Disk size, `4G` by default. */
  readonly size?: string;
  /** The VM's name: its host name and the docker context `qus vm start` creates (`qus-<arch>` by default). */
  readonly name?: string;
  /** The Debian mirror ({@link DEFAULT_MIRROR} by default). */
  readonly mirror?: string;
  /** Where user-mode emulation is ensured while the root is built; this machine's kernel by default. */
  readonly driver?: Driver;
  /** Written into the manifest. */
  readonly createdBy?: string;
}

/** What {@link createVm} wrote. */
export interface CreatedVm {
  readonly dir: string;
  readonly manifest: VmManifest;
}

/**
 * Builds a VM folder: user-mode emulation for the guest's architecture (qus's own ensure), the root with
 * mmdebstrap, Debian's kernel with qus's initrd, a qcow2 disk and a manifest. Everything is written beside `out`
 * first and moved into place at the end, so a failed or interrupted create leaves no half-made VM.
 */
export async function createVm(options: CreateVmOptions): Promise<CreatedVm> {
  const arch = vmArch(options.arch);
  const suite = options.suite ?? "bookworm";
  // Suite and mirror are checked before anything is done (ensure registers emulation): the source line is built here.
  sourceLine(suite, options.mirror);
  const size = parseSize(options.size ?? "4G");
  const name = vmName(options.name ?? `qus-${arch.debian}`);
  const out = resolve(options.out);
  const existing = lstatSync(out, { throwIfNoEntry: false });
  if (existing && (!existing.isDirectory() || readdirSync(out).length > 0)) {
    throw new QusError("QUS_USAGE", `--out ${out} exists and is not an empty folder`, {
      hint: "give a new folder, or remove that one first (qus vm stop it if it runs)",
    });
  }
  if (process.getuid?.() !== 0) {
    throw new QusError("QUS_NOT_ROOT", "qus vm create needs root: mmdebstrap installs packages as their owners", {
      hint: "run it with sudo",
    });
  }
  for (const tool of ["mmdebstrap", "arch-test", "mkfs.ext4", "depmod", "qemu-img"]) requireProgram(tool);
  const progress = options.onProgress ?? (() => {});

  progress(`ensuring user-mode emulation of ${arch.platform} (mmdebstrap runs the guest's programs)`);
  await ensureEmulation(options, arch);

  const work = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  removeTree(work);
  mkdirSync(join(work, "vm"), { recursive: true });
  const forget = onInterrupt(() => removeTree(work));
  try {
    progress(`unpacking ${arch.kernelPackage} and busybox-static (${suite})`);
    const kernel = await unpackKernel(options, arch, suite, join(work, "kernel"));
    const packages = [...ROOT_PACKAGES, ...(options.docker ? DOCKER_PACKAGES : [])];
    progress(`building the root with mmdebstrap: ${packages.join(", ")} (minutes under emulation)`);
    const root = join(work, "root");
    const build = { variant: "minbase", architecture: arch.debian, include: packages, suite, dir: root } as const;
    await runStep(options, mmdebstrapCommand({ ...build, mirror: options.mirror }), {
      what: `building the ${arch.debian} root with mmdebstrap`,
      timeoutMs: 3_600_000,
    });
    progress(`adding kernel ${kernel.version}, its modules and qus's initrd`);
    const modules = join("lib/modules", kernel.version);
    cpSync(join(kernel.root, modules), join(root, modules), { recursive: true, verbatimSymlinks: true });
    for (const file of guestFiles(name, options.docker === true)) writeGuestFile(root, file);
    const vm = join(work, "vm");
    cpSync(kernel.vmlinuz, join(vm, VM_FILES.kernel));
    writeFileSync(join(vm, VM_FILES.initrd), buildInitrd(kernel));
    const manifest: VmManifest = {
      schemaVersion: 1,
      name,
      arch: arch.debian,
      platform: arch.platform,
      suite,
      docker: options.docker === true,
      diskSize: size,
      kernel: { package: arch.kernelPackage, version: kernel.version },
      initrd: { modules: [...INITRD_MODULES], protocol: INIT_PROTOCOL },
      qemu: { system: arch.qemuSystem, package: arch.qemuPackage, machine: arch.machine, cpu: arch.cpu },
      packages: await installedPackages(options, root),
      source: "mmdebstrap",
      createdAt: new Date().toISOString(),
      createdBy: options.createdBy ?? "qus",
    };
    writeFileSync(join(vm, VM_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    copyBootFiles(vm, root);
    progress(`writing the ${size} disk`);
    await writeDisk(options, root, size, join(vm, VM_FILES.disk));
    mkdirSync(dirname(out), { recursive: true });
    // rename replaces an empty folder; one that gained files meanwhile makes it fail, and nothing is deleted.
    renameSync(vm, out);
    giveToSudoUser(out);
    return { dir: out, manifest };
  } finally {
    forget();
    removeTree(work);
  }
}

/**
 * Under sudo, the VM folder and its files belong to the user who ran sudo: `qus vm start` then runs as that user,
 * and the docker context lands in that user's docker configuration. (The disk's contents keep their owners.)
 */
export function giveToSudoUser(path: string, env: NodeJS.ProcessEnv = process.env): void {
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0 || env.SUDO_UID === undefined) return;
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const file of readdirSync(path)) chownSync(join(path, file), uid, gid);
}

/** The kernel, initrd and manifest of `vm`, also inside the root's /boot/qus so the disk alone boots. */
export function copyBootFiles(vm: string, root: string): void {
  // An image's /boot or /boot/qus may be a link (to /etc, to /): replace it, never write through it on the host.
  let boot = root;
  for (const part of DISK_BOOT_DIR.split("/")) {
    boot = join(boot, part);
    const stat = lstatSync(boot, { throwIfNoEntry: false });
    if (stat && !stat.isDirectory()) rmSync(boot);
    if (!stat?.isDirectory()) mkdirSync(boot);
  }
  for (const file of [VM_FILES.kernel, VM_FILES.initrd, VM_FILES.manifest]) {
    // Nor through a link of the image's own at the file's name: copying opens the destination and follows it.
    rmSync(join(boot, file), { force: true, recursive: true });
    cpSync(join(vm, file), join(boot, file));
  }
}

async function ensureEmulation(options: CreateVmOptions, arch: VmArch): Promise<void> {
  const report = await ensure({ platforms: [arch.platform], driver: options.driver ?? createLocalDriver() });
  const [failed] = platformProblems(report);
  if (failed) {
    // core's hint for this failure says what to do; without one, the command that makes it run.
    throw new QusError("QUS_VM_BUILD_FAILED", `${arch.platform} does not run on this machine: ${failed.message}`, {
      hint: failed.hint ?? `make it run first: ${commandIn(QUS_VOICE, ["ensure", "--platforms", arch.platform])}`,
    });
  }
}

function writeGuestFile(root: string, file: ReturnType<typeof guestFiles>[number]): void {
  const path = join(root, file.path);
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  if ("link" in file) symlinkSync(file.link, path);
  else writeFileSync(path, file.content, { mode: file.mode });
}

async function installedPackages(options: StepOptions, root: string): Promise<string[]> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format, not a template
  const format = "${Package} ${Version}\\n";
  const listing = await runStep(
    options,
    ["dpkg-query", `--admindir=${join(root, "var/lib/dpkg")}`, "-W", "-f", format],
    { what: "listing the root's packages" },
  );
  return listing.split("\n").filter(Boolean).sort();
}
