import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { Transform, Writable } from "node:stream";
import { QusError } from "@qus/core";
import type { EngineCommand } from "@qus/core/runner";
import { dockerStep } from "./host-docker.js";
import { ImageOwnFiles, type OwnMember, SHADOWED_PATHS } from "./init-layer.js";
import { runStep, type StepOptions } from "./run-step.js";
import { SparseFiles } from "./sparse-files.js";
import { TarParser } from "./tar-stream.js";

/** How long reading or unpacking an image may take. */
const IMAGE_STEP_TIMEOUT_MS = 600_000;

/**
 * Unpacks the file system of `container` (created, never started, from `image`) into `root`, exactly as the image
 * has it: `docker export` streams through a filter that drops what Docker's init layer put in (empty /etc/hosts,
 * /etc/hostname, /etc/resolv.conf, /.dockerenv, ...) and puts the image's own members back at those paths, read
 * from `docker save` as it streams, into one `tar --extract`. Nothing but the unpacked root is written to disk, and
 * large files keep their holes ({@link SparseFiles}).
 * Returns the size of the file system's archive.
 */
export async function unpackImage(
  options: StepOptions,
  docker: EngineCommand,
  image: string,
  container: string,
  root: string,
): Promise<number> {
  const own = await imageOwnMembers(docker, image);
  const stop = new AbortController();
  // The first failure is the cause; the other step, ended for it, fails too and is not reported.
  let cause: unknown;
  const fail = (error: unknown) => {
    cause ??= error;
    stop.abort();
  };
  const sideDir = `${root}.sparse`;
  mkdirSync(sideDir);
  const sparse = new SparseFiles(sideDir);
  const filter = new InitLayerFilter(own, fail, sparse);
  filter.on("error", () => stop.abort());
  const steps = [
    dockerStep(docker, ["export", container], {
      what: `exporting ${image}`,
      timeoutMs: IMAGE_STEP_TIMEOUT_MS,
      stdout: filter,
      signal: stop.signal,
    }),
    runStep(options, ["tar", ...EXTRACT_OPTIONS, "--file", "-", "--directory", root], {
      what: "unpacking the image's file system",
      timeoutMs: IMAGE_STEP_TIMEOUT_MS,
      stdin: filter,
      signal: stop.signal,
      writes: [root],
    }),
  ].map((step) => step.catch(fail));
  await Promise.all(steps);
  if (cause !== undefined) throw cause;
  // Both ran to their end, yet the archive stopped before its end blocks: cut short.
  if (!filter.complete) throw filter.truncated();
  sparse.apply(root);
  rmSync(sideDir, { recursive: true, force: true });
  return filter.bytes;
}

/** Owners by number, modes with setuid bits, extended attributes: the file system as the image has it. */
const EXTRACT_OPTIONS = ["--extract", "--numeric-owner", "--preserve-permissions", "--xattrs", "--xattrs-include=*"];

/** The image's own members at the paths Docker's init layer shadows, read from `docker save` as it streams. */
async function imageOwnMembers(docker: EngineCommand, image: string): Promise<OwnMember[]> {
  const own = new ImageOwnFiles();
  let failure: unknown;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      // A failure is kept and the rest read to its end, so that docker save ends rather than blocks.
      if (failure === undefined) {
        try {
          own.push(chunk);
        } catch (error) {
          failure = error;
        }
      }
      done();
    },
  });
  await dockerStep(docker, ["image", "save", image], {
    what: `reading the layers of ${image}`,
    timeoutMs: IMAGE_STEP_TIMEOUT_MS,
    stdout: sink,
  });
  try {
    if (failure !== undefined) throw failure;
    return own.result();
  } catch (cause) {
    throw new QusError(
      "QUS_VM_BUILD_FAILED",
      `docker image save ${image} gave what qus cannot read: ${String(cause)}`,
      {
        cause,
        hint: "check that docker is the docker client (docker version) and that the image is whole (docker pull it again)",
      },
    );
  }
}

/**
 * `docker export`'s tar in, the image's own tar out: members at the init layer's paths are dropped and the image's
 * own appended before the end of the archive. Byte for byte otherwise.
 */
export class InitLayerFilter extends Transform {
  bytes = 0;
  private keep = true;
  /** Whether the current member's data goes to `sparse` rather than to tar. */
  private deferred = false;
  private ended = false;
  private readonly parser: TarParser;

  constructor(
    private readonly own: readonly OwnMember[],
    private readonly onFailure: (error: QusError) => void,
    private readonly sparse?: SparseFiles,
  ) {
    super();
    this.parser = new TarParser({
      member: (header) => {
        this.keep = !SHADOWED_PATHS.includes(header.path);
        this.deferred = false;
        if (!this.keep) return;
        this.push(this.sparse ? this.sparse.begin(header) : header.raw);
        this.deferred = this.sparse?.taking ?? false;
      },
      data: (chunk) => {
        if (this.deferred) this.sparse?.write(chunk);
        else if (this.keep) this.push(chunk);
      },
      end: () => {
        this.ended = true;
        for (const member of this.own) this.push(member.bytes);
        this.push(Buffer.alloc(1024));
      },
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    this.bytes += chunk.length;
    if (this.ended) {
      done();
      return;
    }
    try {
      this.parser.push(chunk);
      done();
    } catch (cause) {
      const error = filterError(cause);
      this.onFailure(error);
      done(error);
    }
  }

  /** Whether the archive's end blocks came. */
  get complete(): boolean {
    return this.ended;
  }

  truncated(): QusError {
    return unreadable("docker export's archive ended before its end");
  }
}

/** A failure inside the filter: no space for a large file's data, or a stream that is not a tar archive. */
function filterError(cause: unknown): QusError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC") {
    return new QusError("QUS_NO_SPACE", `unpacking the image's file system failed: ${tmpdir()} has no space left`, {
      cause,
      hint: "free space there, or point TMPDIR at a larger file system",
    });
  }
  if (code)
    return new QusError("QUS_VM_BUILD_FAILED", `unpacking the image's file system failed: ${String(cause)}`, { cause });
  return unreadable(`docker export printed what is not a tar archive: ${String(cause)}`);
}

function unreadable(message: string): QusError {
  return new QusError("QUS_VM_BUILD_FAILED", message, {
    hint: "check that docker is the docker client (docker version), then run again",
  });
}
