import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuOfEngineArch } from "../architectures.js";
import { claimantsOf } from "../binfmt/entry.js";
import { onInterrupt } from "../cleanup.js";
import { createContainerDriver, isImageReference } from "../drivers/container/index.js";
import type { Driver } from "../drivers/types.js";
import { QusError } from "../errors.js";
import { type Exec, execProcess } from "../exec.js";
import { resolvePlatforms } from "../platform.js";
import { createDockerCliRunner } from "../runner/docker-cli.js";
import type { ContainerRunner } from "../runner/types.js";
import { formatCommand } from "../shell-quote.js";
import { canonicalPlatform, type Target } from "../targets.js";
import { imageCopier, resolveCommand } from "./image-copier.js";
import { dockerCli, type ImageConfig } from "./image-docker.js";
import { judgeFile, kernelViewOf, type RootView, targetOfHeader } from "./judge.js";
import type { Explanation, FileExplanation, FileProblem, ImageFacts } from "./model.js";
import { loaderStateOf, type ReadElf, readElfFile } from "./read-file.js";

/** Options of {@link explainImage}. */
export interface ExplainImageOptions {
  /** The image reference, as the engine names it. */
  readonly ref: string;
  /** The platform the image must be (`linux/arm64`): an error when the engine's copy of the image is another. */
  readonly platform?: string;
  /** Paths inside the image to explain; its entrypoint (or command) by default. */
  readonly paths?: readonly string[];
  /** docker context to use. */
  readonly context?: string;
  /** The driver of the engine's kernel; the container driver over the docker CLI by default. */
  readonly driver?: Driver;
  /** Installer image for the default driver. */
  readonly installerImage?: string;
  /** Runs processes; the default runs them for real. */
  readonly exec?: Exec;
}

/** Where a command without a slash is searched when the image sets no PATH (docker's own default). */
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A program asked about: read as ELF from the image, or why it could not be. */
interface ReadProgram {
  readonly path: string;
  readonly file?: ReadElf;
  readonly problem?: FileProblem;
}

/** What the judgement of an image's programs needs besides the programs. */
interface ImageJudgement {
  readonly ref: string;
  readonly config: ImageConfig;
  /** The image's platform as its config names it (`linux/arm/v7`). */
  readonly platform: string;
  readonly driver: Driver;
  readonly runner: ContainerRunner;
  readonly copier: ReturnType<typeof imageCopier>;
}

/**
 * Explains programs of a container image without running it: its platform, its entrypoint (or given paths), read
 * from a created (never started) container with `docker cp`, symlinks followed inside the image, and whether the
 * engine's kernel runs them there: the binfmt_misc entry that claims each, its probe, and its loader in the image.
 * The created container is removed on every path, errors and interruptions included.
 */
export async function explainImage(options: ExplainImageOptions): Promise<Explanation> {
  const { ref } = options;
  if (!isImageReference(ref)) {
    throw new QusError("QUS_USAGE", `--image ${JSON.stringify(ref)} is not an image reference`, {
      hint: "name an image as docker does: debian:bookworm, registry:5000/team/app@sha256:...",
    });
  }
  const wanted = options.platform === undefined ? undefined : requireOne(options.platform);
  const docker = dockerCli(options.exec ?? execProcess, options.context);
  const config = await docker.inspectImage(ref);
  const platform = [config.Os ?? "linux", config.Architecture ?? "unknown", config.Variant]
    .filter((part) => part)
    .join("/");
  if (wanted && cpuOfEngineArch(config.Architecture ?? "") !== wanted.cpu) {
    throw new QusError("QUS_IMAGE_MISSING", `the engine's ${ref} is ${platform}, not ${canonicalPlatform(wanted)}`, {
      hint: `fetch that platform's image first: ${formatCommand(["docker", "pull", "--platform", canonicalPlatform(wanted), ref])}`,
    });
  }
  const asked = askedPaths(ref, config, options.paths);
  const runner = createDockerCliRunner({ context: options.context, exec: options.exec, command: docker.command });
  const driver = options.driver ?? createContainerDriver({ runner, image: options.installerImage });
  const temp = mkdtempSync(join(tmpdir(), "qus-explain-"));
  const container = `qus-explain-${process.pid}-${randomBytes(4).toString("hex")}`;
  const unregister = onInterrupt(() => {
    docker.removeSync(container);
    rmSync(temp, { recursive: true, force: true });
  });
  let explanation: Explanation;
  let removed = false;
  try {
    await docker.create(ref, container);
    const copier = imageCopier(docker, container, temp);
    const read = await readPrograms(ref, config, asked, copier);
    explanation = await judgePrograms({ ref, config, platform, driver, runner, copier }, read);
  } finally {
    removed = await docker.remove(container);
    rmSync(temp, { recursive: true, force: true });
    unregister();
  }
  if (removed) return explanation;
  // Nothing half-done unreported: the container qus created (never started) is still on the engine.
  const removal = docker.removeCommand(container);
  return {
    ...explanation,
    warnings: [...explanation.warnings, `could not remove the container ${container}: ${removal}`],
  };
}

/** The paths to explain: those given, else the image's entrypoint (or command); QUS_USAGE when there is none. */
function askedPaths(ref: string, config: ImageConfig, paths: readonly string[] | undefined): readonly string[] {
  const entrypoint = config.Config?.Entrypoint ?? [];
  const cmd = config.Config?.Cmd ?? [];
  const command = entrypoint.length > 0 ? entrypoint : cmd;
  const asked = paths && paths.length > 0 ? paths : command.slice(0, 1);
  if (asked.length === 0) {
    throw new QusError("QUS_USAGE", `${ref} has no entrypoint and no command`, {
      hint: "name the program inside the image: qus explain --image REF /path/in/image",
    });
  }
  return asked;
}

/** Each asked path, found in the image (PATH searched, symlinks followed) and read as ELF, or its problem. */
async function readPrograms(
  ref: string,
  config: ImageConfig,
  asked: readonly string[],
  copier: ReturnType<typeof imageCopier>,
): Promise<ReadProgram[]> {
  const env = config.Config?.Env ?? [];
  const searchPath = env.find((entry) => entry.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  const read: ReadProgram[] = [];
  for (const path of asked) {
    try {
      const inImage = await resolveCommand(path, config.Config?.WorkingDir || "/", searchPath, copier);
      read.push({ path, file: readElfFile(inImage.local, `${ref}:${inImage.path}`) });
    } catch (error) {
      if (!(error instanceof QusError) || error.kind !== "input") throw error;
      read.push({ path, problem: { path, error: { code: error.code, message: error.message, hint: error.hint } } });
    }
  }
  return read;
}

/** Judges each program against the engine's kernel (as the driver inspects it) and the image's root. */
async function judgePrograms(judgement: ImageJudgement, read: readonly ReadProgram[]): Promise<Explanation> {
  const { ref, config, platform, driver, runner, copier } = judgement;
  const entrypoint = config.Config?.Entrypoint ?? [];
  const cmd = config.Config?.Cmd ?? [];
  const targets = new Map<string, Target>();
  for (const item of read) {
    const target = item.file && targetOfHeader(item.file.header);
    if (target) targets.set(target.cpu, target);
  }
  const [inspection, engine] = await Promise.all([
    driver.inspect({ targets: [...targets.values()], mount: false, verify: true }),
    runner.info().catch(() => undefined),
  ]);
  // What the judgement needs from the image's root: each program's loader, and the interpreters of claiming entries without F.
  const heads = new Map<string, Uint8Array | undefined>();
  const needed = new Set<string>();
  for (const item of read) {
    if (!item.file) continue;
    if (item.file.elf.interpreter) needed.add(item.file.elf.interpreter);
    for (const entry of claimantsOf(inspection.entries, item.file.header)) {
      // Without F the kernel opens the interpreter inside the container: it must be in the image.
      if (!entry.flags.includes("F")) needed.add(entry.interpreter);
    }
  }
  for (const path of needed) heads.set(path, await copier.head(path));
  const root: RootView = {
    loader: (path, program) => loaderStateOf(heads.get(path), program),
    exists: (path) => heads.get(path) !== undefined,
  };
  const kernel = kernelViewOf(inspection);
  const files = read.map(
    (item): FileExplanation | FileProblem =>
      item.problem ??
      judgeFile(item.path, (item.file as ReadElf).elf, (item.file as ReadElf).header, kernel, {
        kind: "image",
        ref,
        root,
      }),
  );
  const image: ImageFacts = {
    ref,
    id: config.Id ?? "",
    platform,
    entrypoint,
    cmd,
    engineArchitecture: engine?.architecture,
  };
  return {
    schemaVersion: 1,
    driver: driver.name,
    kernel: {
      release: inspection.kernel.release,
      binfmtEnabled: inspection.kernel.binfmtEnabled !== false,
      binfmtMounted: inspection.kernel.binfmtMounted,
    },
    image,
    files,
    warnings: inspection.warnings,
    ok: files.every((file) => "ok" in file && file.ok),
  };
}

function requireOne(platform: string): Target {
  const targets = resolvePlatforms([platform]);
  const [target] = targets;
  if (!target || targets.length !== 1) {
    throw new QusError("QUS_USAGE", `--platform ${JSON.stringify(platform)}: one platform is expected`, {
      hint: "for example --platform linux/arm64",
    });
  }
  return target;
}
