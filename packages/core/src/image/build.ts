import { copyFile, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QUS_IMAGE } from "../drivers/container/index.js";
import { QusError } from "../errors.js";
import { type Exec, execProcess } from "../exec.js";
import { createDockerCliRunner } from "../runner/docker-cli.js";
import type { ContainerRunner } from "../runner/types.js";
import { TARGETS, targetByCpu } from "../targets.js";
import { type DebianPackage, debianMachines, downloadPackages, extractPackage, findPackages } from "./debian.js";

/** Options of {@link buildImage}. */
export interface ImageBuildOptions {
  /** Image tag; {@link QUS_IMAGE} by default. A tag `qus-binfmt:qemu-<version>` is added too. */
  readonly tag?: string;
  /** Folder with `busybox-static_*.deb` and `qemu-user-static_*.deb` for the engine's architecture (air-gapped). */
  readonly debDir?: string;
  /** The engine to build on, through its runner (its info, its build); the docker CLI by default. */
  readonly runner?: ContainerRunner;
  /** Runs apt-get, dpkg-deb and QEMU here, to prepare the image's files. */
  readonly exec?: Exec;
  /** Prepare and return the Dockerfile, build nothing. */
  readonly dryRun?: boolean;
}

/** What {@link buildImage} built. */
export interface ImageBuildResult {
  readonly tags: readonly string[];
  readonly architecture: string;
  readonly packages: readonly DebianPackage[];
  /** First line of `qemu-<cpu>-static --version`, or the package version. */
  readonly qemuVersion: string;
  readonly interpreters: readonly string[];
  readonly dockerfile: string;
  readonly built: boolean;
}

const PACKAGES = ["busybox-static", "qemu-user-static"];

/**
 * Builds qus's installer image on the engine, `FROM scratch`, from Debian's static busybox and QEMU packages
 * for the engine's architecture: no container registry needed. Files get a fixed time, so the same packages
 * give the same layers.
 */
export async function buildImage(options: ImageBuildOptions = {}): Promise<ImageBuildResult> {
  const exec = options.exec ?? execProcess;
  const runner = options.runner ?? createDockerCliRunner({ exec });
  const info = await runner.info();
  const arch = info.cpu && targetByCpu(info.cpu)?.debianArch;
  if (!arch) {
    throw new QusError("QUS_IMAGE_BUILD_FAILED", `no Debian architecture for the engine's ${info.architecture}`, {
      hint: `qus image build knows ${debianMachines().join(", ")}`,
    });
  }
  const work = await mkdtemp(join(tmpdir(), "qus-image-"));
  try {
    const debDir = options.debDir ?? join(work, "debs");
    if (!options.debDir) {
      await mkdir(debDir);
      await downloadPackages(exec, PACKAGES, arch, debDir);
    }
    const packages = await findPackages(exec, debDir, PACKAGES, arch);
    const rootfs = join(work, "context", "rootfs");
    const interpreters = await assembleRootfs(exec, packages, join(work, "extract"), rootfs);
    const qemuVersion = await readQemuVersion(exec, rootfs, interpreters, packages);
    const shortVersion = /version (\S+)/.exec(qemuVersion)?.[1] ?? packages[1]?.version ?? "unknown";
    const tags = [...new Set([options.tag ?? QUS_IMAGE, `qus-binfmt:qemu-${shortVersion.replace(/[^\w.-]/g, "_")}`])];
    const dockerfile = renderDockerfile(packages, qemuVersion);
    await writeFile(join(work, "context", "Dockerfile"), dockerfile);
    await normalizeTimes(join(work, "context"));
    if (!options.dryRun) await runner.buildImage({ contextDir: join(work, "context"), tags });
    return {
      tags,
      architecture: info.architecture,
      packages,
      qemuVersion,
      interpreters,
      dockerfile,
      built: !options.dryRun,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function assembleRootfs(
  exec: Exec,
  packages: readonly DebianPackage[],
  extractDir: string,
  rootfs: string,
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
  const qemuBin = join(extractDir, "qemu-user-static", "usr", "bin");
  const available = new Set(await readdir(qemuBin));
  const interpreters = TARGETS.map((target) => `qemu-${target.cpu}-static`).filter((name) => available.has(name));
  await Promise.all(interpreters.map((name) => copyFile(join(qemuBin, name), join(rootfs, "usr", "bin", name))));
  return interpreters;
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
): Promise<string> {
  const probe = interpreters[0];
  if (probe) {
    const result = await exec(join(rootfs, "usr", "bin", probe), ["--version"]);
    const line = result.stdout.split("\n")[0]?.trim();
    if (result.exitCode === 0 && line) return line;
  }
  return `qemu-user-static ${packages.find((pkg) => pkg.name === "qemu-user-static")?.version ?? "unknown"}`;
}

/** The Dockerfile of the installer image: busybox's applets, QEMU, and labels naming the packages. */
export function renderDockerfile(packages: readonly DebianPackage[], qemuVersion: string): string {
  const labels = [
    ["org.opencontainers.image.title", "qus-binfmt"],
    ["org.opencontainers.image.description", "qus installer: static busybox and QEMU user-mode emulators from Debian"],
    ["org.qus.qemu.version", qemuVersion],
    ...packages.map((pkg) => [`org.qus.package.${pkg.name}`, pkg.version]),
  ];
  return [
    "FROM scratch",
    "COPY rootfs/ /",
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    ...labels.map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`),
    'ENTRYPOINT ["/bin/busybox"]',
    'CMD ["sh"]',
    "",
  ].join("\n");
}

async function normalizeTimes(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await normalizeTimes(path);
    await utimes(path, 0, 0);
  }
}
