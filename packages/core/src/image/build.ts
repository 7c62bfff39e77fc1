import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { QusError } from "../errors.js";
import { type Exec, execProcess } from "../exec.js";
import { defaultInstallerImage, imageRepository, type QUS_IMAGE } from "../installer-image.js";
import { fetchQemu, parseQemuSource } from "../qemu/index.js";
import { createDockerCliRunner } from "../runner/docker-cli.js";
import type { ContainerRunner } from "../runner/types.js";
import { interpreterBase, TARGETS } from "../targets.js";
import { QUS_VERSION } from "../version.js";
import { buildTarget, foreignBuildFailure } from "./build-target.js";
import { type DebianPackage, downloadPackages, extractPackage, findPackages } from "./debian.js";
import { type InstallerFile, installerFiles } from "./installer-files.js";
import { INSTALLER_PATH } from "./installer-script.js";

/** Options of {@link buildImage}. */
export interface ImageBuildOptions {
  /**
   * Image tag: `QUS_IMAGE` from {@link ImageBuildOptions.env}, else {@link QUS_IMAGE}, so the image built satisfies the
   * default with no registry. A tag `<repository>:<qus version>-qemu-<QEMU version>` is added too.
   */
  readonly tag?: string;
  /** Where the `QUS_IMAGE` override is read: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The image's platform (`linux/arm64`): built from that architecture's Debian packages. Default: the engine's.
   * Another architecture's image runs its RUN step under emulation: that platform must run on the engine first.
   */
  readonly platform?: string;
  /** Folder with `busybox-static_*.deb` and `qemu-user-static_*.deb` for the image's architecture (air-gapped). */
  readonly debDir?: string;
  /** The engine to build on, through its runner (its info, its build); the docker CLI by default. */
  readonly runner?: ContainerRunner;
  /** Runs apt-get, dpkg-deb and QEMU here, to prepare the image's files. */
  readonly exec?: Exec;
  /** Prepare and return the Dockerfile, build nothing. */
  readonly dryRun?: boolean;
  /**
   * Put the QEMU of this source (`debian:trixie`) in the image instead of the machine's Debian's, from qus's cache
   * (fetched for the engine's architecture when needed); the image's labels name the source and the version.
   */
  readonly qemuFrom?: string;
}

/** What {@link buildImage} built. */
export interface ImageBuildResult {
  readonly tags: readonly string[];
  /** The image's architecture, as the engine names it (`x86_64`), or its platform (`linux/arm64`) when one was asked. */
  readonly architecture: string;
  readonly packages: readonly DebianPackage[];
  /** First line of `qemu-<cpu>-static --version`, or the package version. */
  readonly qemuVersion: string;
  readonly interpreters: readonly string[];
  readonly dockerfile: string;
  readonly built: boolean;
  /** The source of its QEMU, when `qemuFrom` chose one. */
  readonly qemuSource?: string;
}

const PACKAGES = ["busybox-static", "qemu-user-static"];
/** With `qemuFrom`, QEMU comes from qus's cache: only busybox is downloaded. */
const BUSYBOX_ONLY = ["busybox-static"];

/**
 * Builds qus's installer image on the engine, `FROM scratch`, from Debian's static busybox and QEMU packages
 * for the engine's architecture: no container registry needed. Files get a fixed time, so the same packages
 * give the same layers.
 */
export async function buildImage(options: ImageBuildOptions = {}): Promise<ImageBuildResult> {
  const exec = options.exec ?? execProcess;
  // Checked before anything runs: a bad source is bad input.
  const source = options.qemuFrom === undefined ? undefined : parseQemuSource(options.qemuFrom);
  const runner = options.runner ?? createDockerCliRunner({ exec });
  const info = await runner.info();
  const built = buildTarget(info, options.platform);
  const { target, arch, platform } = built;
  const work = await mkdtemp(join(tmpdir(), "qus-image-"));
  try {
    const debDir = options.debDir ?? join(work, "debs");
    if (!options.debDir) {
      await mkdir(debDir);
      await downloadPackages(exec, source ? BUSYBOX_ONLY : PACKAGES, arch, debDir);
    }
    const debs = await findPackages(exec, debDir, source ? BUSYBOX_ONLY : PACKAGES, arch);
    const qemu = source ? await fetchQemu({ source, arch, exec }) : undefined;
    // The fetched QEMU is named among the packages (labels, report) by its own package and version.
    const packages = qemu ? [...debs, { name: qemu.package, version: qemu.packageVersion, file: qemu.folder }] : debs;
    const rootfs = join(work, "context", "rootfs");
    const interpreters = await assembleRootfs(exec, debs, join(work, "extract"), rootfs, qemu?.folder);
    await writeInstallerFiles(rootfs, installerFiles(target.cpu, interpreters));
    const qemuVersion = await readQemuVersion(exec, rootfs, interpreters, packages, qemu?.qemuVersion);
    const shortVersion = /version (\S+)/.exec(qemuVersion)?.[1] ?? upstreamVersion(packages[1]?.version);
    const tags = imageTags(options.tag ?? defaultInstallerImage(options.env), shortVersion);
    const dockerfile = renderDockerfile(packages, qemuVersion, qemu?.source);
    await writeFile(join(work, "context", "Dockerfile"), dockerfile);
    await normalizeTimes(join(work, "context"));
    const spec = { contextDir: join(work, "context"), tags, ...(platform ? { platform } : {}) };
    if (!options.dryRun)
      await runner.buildImage(spec).catch((error: unknown) => {
        throw foreignBuildFailure(error, info, built, runner.name);
      });
    return {
      tags,
      architecture: platform ?? info.architecture,
      packages,
      qemuVersion,
      interpreters,
      dockerfile,
      built: !options.dryRun,
      ...(qemu ? { qemuSource: qemu.source } : {}),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A Debian version's upstream part (`1:7.2+dfsg-7+deb12u18` gives `7.2`), for a QEMU this machine cannot run. */
function upstreamVersion(debianVersion: string | undefined): string {
  return debianVersion?.replace(/^\d+:/, "").split(/[+~-]/)[0] || "unknown";
}

/** The tag asked for, and `<its repository>:<qus version>-qemu-<QEMU version>` beside it. */
function imageTags(tag: string, qemuVersion: string): string[] {
  return [...new Set([tag, `${imageRepository(tag)}:${QUS_VERSION}-qemu-${qemuVersion.replace(/[^\w.-]/g, "_")}`])];
}

async function assembleRootfs(
  exec: Exec,
  packages: readonly DebianPackage[],
  extractDir: string,
  rootfs: string,
  qemuDir?: string,
): Promise<string[]> {
  await Promise.all(packages.map((pkg) => extractPackage(exec, pkg, join(extractDir, pkg.name))));
  await mkdir(join(rootfs, "bin"), { recursive: true });
  await mkdir(join(rootfs, "usr", "bin"), { recursive: true });
  await mkdir(join(rootfs, "tmp"), { recursive: true, mode: 0o1777 });
  const busybox = await firstExisting([
    join(extractDir, "busybox-static", "bin", "busybox"),
    join(extractDir, "busybox-static", "usr", "bin", "busybox"),
  ]);
  await copyFile(busybox, join(rootfs, "bin", "busybox"));
  const qemuBin = qemuDir ?? join(extractDir, "qemu-user-static", "usr", "bin");
  const available = new Set(await readdir(qemuBin));
  const interpreters = [...new Set(TARGETS.map((target) => `${interpreterBase(target)}-static`))].filter((name) =>
    available.has(name),
  );
  await Promise.all(interpreters.map((name) => copyFile(join(qemuBin, name), join(rootfs, "usr", "bin", name))));
  return interpreters;
}

/** qus-binfmt, its table and its probes, into the image's root. */
async function writeInstallerFiles(rootfs: string, files: readonly InstallerFile[]): Promise<void> {
  for (const file of files) {
    const path = join(rootfs, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content, { mode: file.mode });
    await chmod(path, file.mode);
  }
}

async function firstExisting(paths: readonly string[]): Promise<string> {
  for (const path of paths) {
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  throw new QusError("QUS_IMAGE_BUILD_FAILED", `busybox-static holds no busybox at ${paths.join(" or ")}`);
}

async function readQemuVersion(
  exec: Exec,
  rootfs: string,
  interpreters: readonly string[],
  packages: readonly DebianPackage[],
  known?: string,
): Promise<string> {
  const probe = interpreters[0];
  if (probe) {
    const result = await exec(join(rootfs, "usr", "bin", probe), ["--version"]);
    const line = result.stdout.split("\n")[0]?.trim();
    if (result.exitCode === 0 && line) return line;
  }
  // An engine of another architecture: the version the cache read, or the package's.
  if (known) return known;
  return `qemu-user-static ${packages.find((pkg) => pkg.name === "qemu-user-static")?.version ?? "unknown"}`;
}

/** The Dockerfile of the installer image: busybox's applets, QEMU, and labels naming the packages. */
export function renderDockerfile(packages: readonly DebianPackage[], qemuVersion: string, qemuSource?: string): string {
  const labels = [
    ["org.opencontainers.image.title", "qus-binfmt"],
    ["org.opencontainers.image.description", "qus installer: static busybox and QEMU user-mode emulators from Debian"],
    ["org.qus.qemu.version", qemuVersion],
    ...(qemuSource ? [["org.qus.qemu.source", qemuSource]] : []),
    ...packages.map((pkg) => [`org.qus.package.${pkg.name}`, pkg.version]),
  ];
  return [
    "FROM scratch",
    "COPY rootfs/ /",
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    ...labels.map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`),
    // tonistiigi/binfmt's command line (--install, --uninstall, status JSON with no arguments), proven.
    `ENTRYPOINT ["${INSTALLER_PATH}"]`,
    "",
  ].join("\n");
}

/**
 * Times that make the build reproducible yet follow each file's content: BuildKit (Docker 20.10's) takes a context
 * file of the same size and time as one it has seen for unchanged, so a fixed time for all kept a marker whose one
 * status byte changed at its old value.
 */
async function normalizeTimes(dir: string): Promise<void> {
  const { createHash } = await import("node:crypto");
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await normalizeTimes(path);
    const time = entry.isFile()
      ? createHash("sha256")
          .update(await readFile(path))
          .digest()
          .readUInt32BE(0)
      : 0;
    await utimes(path, time, time);
  }
}
