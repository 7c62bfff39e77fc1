import {
  chmodSync,
  chownSync,
  closeSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  openSync,
  realpathSync,
  renameSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { QusError } from "@qus/core";
import type { TarHeader } from "./tar-stream.js";

/** Files from this size on are written by qus with their zero blocks left as holes. */
export const SPARSE_FROM_BYTES = 2 ** 20;
const BLOCK = 4096;

interface Deferred {
  readonly path: string;
  readonly side: string;
  readonly mtime: number;
}

/**
 * Keeps large files sparse on their way from `docker export` to the disk: `docker export` writes every byte, holes
 * too, and `tar` would write them all. A large plain file reaches tar as an empty member (tar makes it, with its
 * owner, mode and times), while its data is written here beside the root with its zero blocks skipped; `apply()`
 * then moves each in place over tar's empty file and puts back its owner, mode and time, and hard links to it.
 */
export class SparseFiles {
  private readonly deferred = new Map<string, Deferred>();
  private readonly links: { path: string; target: string }[] = [];
  private current: { fd: number; offset: number; size: number } | undefined;

  constructor(private readonly sideDir: string) {}

  /**
   * The header blocks to pass to tar for this member: an empty file's for a large plain file (its data then goes
   * through {@link write}), the member's own otherwise. Files with extended attributes or pax sizes keep theirs:
   * writing to a file drops its file capabilities, and a pax size cannot be rewritten in place.
   */
  begin(header: TarHeader): Buffer {
    this.current = undefined;
    if (header.type === "1" && this.deferred.has(normal(header.linkpath))) {
      this.links.push({ path: header.path, target: normal(header.linkpath) });
    }
    const plain = (header.type === "0" || header.type === "\0") && !header.path.split("/").includes("..");
    const attributes = Object.keys(header.pax).some((key) => key.startsWith("SCHILY.xattr.") || key === "size");
    if (!plain || attributes || header.size < SPARSE_FROM_BYTES) return header.raw;
    const side = join(this.sideDir, String(this.deferred.size));
    this.deferred.set(header.path, { path: header.path, side, mtime: header.mtime });
    this.current = { fd: openSync(side, "wx", 0o600), offset: 0, size: header.size };
    return emptied(header.raw);
  }

  /** Whether the current member's data is taken here (and so not passed to tar). */
  get taking(): boolean {
    return this.current !== undefined;
  }

  /** The next bytes of the current member's data (padding included): its non-zero blocks are written. */
  write(chunk: Buffer): void {
    const file = this.current;
    if (!file) return;
    let at = 0;
    while (at < chunk.length && file.offset < file.size) {
      const blockEnd = Math.min((Math.floor(file.offset / BLOCK) + 1) * BLOCK, file.size);
      const piece = chunk.subarray(at, at + Math.min(blockEnd - file.offset, chunk.length - at));
      if (!piece.every((byte) => byte === 0)) writeSync(file.fd, piece, 0, piece.length, file.offset);
      file.offset += piece.length;
      at += piece.length;
    }
    if (file.offset >= file.size) {
      ftruncateSync(file.fd, file.size);
      closeSync(file.fd);
      this.current = undefined;
    }
  }

  /** After tar has unpacked everything into `root`: each large file's data in place, and its hard links. */
  apply(root: string): void {
    const realRoot = realpathSync(root);
    for (const file of this.deferred.values()) {
      const target = placeOf(realRoot, file.path);
      const made = lstatSync(target);
      renameSync(file.side, target);
      chownSync(target, made.uid, made.gid);
      // After chown, which clears setuid and setgid bits.
      chmodSync(target, made.mode & 0o7777);
      utimesSync(target, made.atime, file.mtime);
    }
    for (const link of this.links) {
      const path = placeOf(realRoot, link.path);
      unlinkSync(path);
      linkSync(placeOf(realRoot, link.target), path);
    }
  }
}

/**
 * The path of an unpacked file in `root`, refused unless every folder on the way is a real folder of the root and
 * the file a plain file: nothing qus writes as root may follow a link out of it.
 */
function placeOf(realRoot: string, path: string): string {
  const target = join(realRoot, path);
  const inside = !path.split("/").includes("..") && target.startsWith(`${realRoot}/`);
  const stat = inside ? lstatSync(target, { throwIfNoEntry: false }) : undefined;
  if (!stat?.isFile() || realpathSync(dirname(target)) !== dirname(target)) {
    throw new QusError("QUS_VM_BUILD_FAILED", `the image's ${path} did not unpack as a plain file`, {
      hint: "the image's file system is not what docker export should give: export it again",
    });
  }
  return target;
}

const normal = (path: string) => path.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");

/** The member's header blocks with its own header's size set to 0 (checksum recomputed). */
function emptied(raw: Buffer): Buffer {
  const copy = Buffer.from(raw);
  const header = copy.subarray(copy.length - 512);
  header.write("00000000000\0", 124, 12, "latin1");
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return copy;
}
