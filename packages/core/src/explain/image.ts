import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { lstatSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { cpuOfEngineArch } from "../architectures.js";
import { claimantsOf } from "../binfmt/entry.js";
import { onInterrupt } from "../cleanup.js";
import { createContainerDriver, isImageReference } from "../drivers/container/index.js";
import type { Driver } from "../drivers/types.js";
import { QusError } from "../errors.js";
import { type Exec, type ExecResult, execProcess } from "../exec.js";
import { resolvePlatforms } from "../platform.js";
import { DEFAULT_ENGINE_TIMEOUT_MS } from "../runner/cli-runner-options.js";
import { createDockerCliRunner } from "../runner/docker-cli.js";
import { formatCommand } from "../shell-quote.js";
import { canonicalPlatform, type Target } from "../targets.js";
import { judgeFile, kernelViewOf, type RootView, targetOfHeader } from "./judge.js";
import type { Explanation, FileExplanation, FileProblem, ImageFacts } from "./model.js";
import { headOfHostFile, loaderStateOf, type ReadElf, readElfFile } from "./read-file.js";

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

/** Symlinks followed inside an image before giving up, as the kernel's own bound (ELOOP). */
const MAX_LINKS = 40;
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

interface ImageConfig {
  readonly Id?: string;
  readonly Os?: string;
  readonly Architecture?: string;
  readonly Variant?: string;
  readonly Config?: {
    readonly Entrypoint?: string[] | null;
    readonly Cmd?: string[] | null;
    readonly WorkingDir?: string;
    readonly Env?: string[] | null;
  };
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
  const entrypoint = config.Config?.Entrypoint ?? [];
  const cmd = config.Config?.Cmd ?? [];
  const command = entrypoint.length > 0 ? entrypoint : cmd;
  const asked = options.paths && options.paths.length > 0 ? options.paths : command.slice(0, 1);
  if (asked.length === 0) {
    throw new QusError("QUS_USAGE", `${ref} has no entrypoint and no command`, {
      hint: "name the program inside the image: qus explain --image REF /path/in/image",
    });
  }
  const runner = createDockerCliRunner({ context: options.context, exec: options.exec });
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
    const env = config.Config?.Env ?? [];
    const searchPath = env.find((entry) => entry.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
    const read: { path: string; file?: ReadElf; problem?: FileProblem }[] = [];
    for (const path of asked) {
      try {
        const inImage = await resolveCommand(path, config.Config?.WorkingDir || "/", searchPath, copier);
        read.push({ path, file: readElfFile(inImage.local, `${ref}:${inImage.path}`) });
      } catch (error) {
        if (!(error instanceof QusError) || error.kind !== "input") throw error;
        read.push({ path, problem: { path, error: { code: error.code, message: error.message, hint: error.hint } } });
      }
    }
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
    explanation = {
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

/** The docker CLI calls explain needs, with argv arrays and time bounds. */
function dockerCli(exec: Exec, context: string | undefined) {
  const global = context === undefined ? [] : ["--context", context];
  const call = async (args: readonly string[]): Promise<ExecResult> => {
    const result = await exec("docker", [...global, ...args], { timeoutMs: DEFAULT_ENGINE_TIMEOUT_MS * 2 });
    if (result.startError === "ENOENT") {
      throw new QusError("QUS_ENGINE_UNREACHABLE", "the docker client (docker) is not installed", {
        hint: "install the docker CLI, or explain files on the machine that runs them",
      });
    }
    if (result.timedOut || result.startError) {
      throw new QusError(
        "QUS_ENGINE_UNREACHABLE",
        `${formatCommand(["docker", ...args.slice(0, 2)])} ${result.timedOut ? "did not answer in time" : `could not start: ${result.startError}`}`,
        { hint: "check that the engine answers: docker info" },
      );
    }
    return result;
  };
  const failed = (what: string, result: ExecResult) =>
    /cannot connect|is the docker daemon running|error during connect/i.test(result.stderr)
      ? new QusError("QUS_ENGINE_UNREACHABLE", `${what}: ${result.stderr.trim()}`, {
          hint: "check that the engine answers: docker info",
        })
      : new QusError("QUS_EXEC_FAILED", `${what}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  return {
    async inspectImage(ref: string): Promise<ImageConfig> {
      const result = await call(["image", "inspect", "--format", "{{json .}}", "--", ref]);
      if (result.exitCode !== 0) {
        if (/no such (image|object)/i.test(result.stderr)) {
          throw new QusError("QUS_IMAGE_MISSING", `the engine has no image ${ref}`, {
            hint: `pull or build it first: ${formatCommand(["docker", "pull", ref])}`,
          });
        }
        throw failed(`docker image inspect ${ref}`, result);
      }
      try {
        return JSON.parse(result.stdout) as ImageConfig;
      } catch (error) {
        throw new QusError("QUS_EXEC_FAILED", `docker image inspect ${ref} printed no JSON`, { cause: error });
      }
    },
    async create(ref: string, name: string): Promise<void> {
      // Created, never started: the command is a placeholder the image need not have.
      const result = await call(["create", "--name", name, "--network", "none", "--", ref, "/qus-never-run"]);
      if (result.exitCode !== 0) throw failed(`docker create ${ref}`, result);
    },
    /** Copies a path out of the container; false when the image has no such path. */
    async copy(name: string, path: string, to: string): Promise<boolean> {
      const result = await call(["cp", `${name}:${path}`, to]);
      if (result.exitCode === 0) return true;
      if (/could not find the file|no such file|not found/i.test(result.stderr)) return false;
      throw failed(`docker cp ${path}`, result);
    },
    /** Removes a container; true when it is gone (or was never made). */
    async remove(name: string): Promise<boolean> {
      const result = await exec("docker", [...global, "rm", "--force", "--", name], {
        timeoutMs: DEFAULT_ENGINE_TIMEOUT_MS,
      });
      return result.exitCode === 0 || /no such container/i.test(result.stderr);
    },
    /** The command a user pastes to remove a container this left behind. */
    removeCommand(name: string): string {
      return formatCommand(["docker", ...global, "rm", "--force", name]);
    },
    removeSync(name: string): void {
      spawnSync("docker", [...global, "rm", "--force", "--", name], { stdio: "ignore", timeout: 10_000 });
    },
  };
}

type DockerCli = ReturnType<typeof dockerCli>;

/** A path of the image copied out: where it is in the image (symlinks followed) and where it is here. */
interface Copied {
  readonly path: string;
  readonly local: string;
}

/** Copies files out of a created container, following symlinks inside the image (never on this machine). */
function imageCopier(docker: DockerCli, container: string, temp: string) {
  let count = 0;
  async function fetch(path: string): Promise<Copied | undefined> {
    let current = posix.normalize(path);
    for (let hop = 0; hop <= MAX_LINKS; hop++) {
      const local = join(temp, `f${count++}`);
      if (!(await docker.copy(container, current, local))) return undefined;
      const stat = lstatSync(local);
      if (!stat.isSymbolicLink()) return { path: current, local };
      const target = readlinkSync(local);
      current = posix.normalize(posix.isAbsolute(target) ? target : posix.join(posix.dirname(current), target));
    }
    throw new QusError("QUS_FILE_UNREADABLE", `${path}: too many levels of symbolic links in the image`, {
      hint: "name the program's real path inside the image",
    });
  }
  return {
    /** The path copied out, or QUS_FILE_UNREADABLE naming it when the image has no such file. */
    async file(path: string): Promise<Copied> {
      const copied = await fetch(path);
      if (!copied) {
        throw new QusError("QUS_FILE_UNREADABLE", `${path}: no such file in the image`, {
          hint: "name a path that exists inside the image",
        });
      }
      return copied;
    },
    /** Whether a path exists in the image: its first bytes, or undefined. */
    async head(path: string): Promise<Uint8Array | undefined> {
      const copied = await fetch(path);
      if (!copied || lstatSync(copied.local).isDirectory()) return undefined;
      return headOfHostFile(copied.local) ?? new Uint8Array();
    },
    /** The path copied out, or undefined when the image has no such path. */
    find: fetch,
  };
}

/** Where a command of the image is: an absolute path, a path from the working folder, or searched in PATH. */
async function resolveCommand(
  command: string,
  workingDir: string,
  searchPath: string,
  copier: ReturnType<typeof imageCopier>,
): Promise<Copied> {
  if (command.startsWith("/")) return copier.file(command);
  if (command.includes("/")) return copier.file(posix.join(workingDir, command));
  for (const dir of searchPath.split(":").filter((part) => part.startsWith("/"))) {
    const found = await copier.find(posix.join(dir, command));
    if (found) return found;
  }
  throw new QusError("QUS_FILE_UNREADABLE", `${command}: not found in the image's PATH (${searchPath})`, {
    hint: "name the program's path inside the image",
  });
}
