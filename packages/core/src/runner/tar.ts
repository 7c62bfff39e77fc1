import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, posix } from "node:path";
import { QusError } from "../errors.js";

/**
 * A minimal ustar writer: what a runner on the Engine API sends to copy a program into a container or to build an
 * image from a folder. Regular files, folders and symbolic links; fixed owner (root) and time (the epoch), so the
 * same folder gives the same bytes.
 */

/** One member of an archive. */
export type TarMember =
  | { readonly path: string; readonly type: "file"; readonly data: Uint8Array; readonly mode: number }
  | { readonly path: string; readonly type: "dir"; readonly mode: number }
  | { readonly path: string; readonly type: "symlink"; readonly target: string };

const BLOCK = 512;

/** The archive of the members, in their order, ended by two zero blocks. */
export function tarOf(members: readonly TarMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const member of members) {
    const data = member.type === "file" ? Buffer.from(member.data) : Buffer.alloc(0);
    parts.push(header(member, data.length), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** Every file, folder and link below `dir`, with paths relative to it, folders before what they hold. */
export function membersOfFolder(dir: string): TarMember[] {
  const members: TarMember[] = [];
  const walk = (relative: string) => {
    for (const name of readdirSync(join(dir, relative)).sort()) {
      const path = relative ? posix.join(relative, name) : name;
      const full = join(dir, path);
      const stat = lstatSync(full);
      if (stat.isDirectory()) {
        members.push({ path, type: "dir", mode: stat.mode & 0o7777 });
        walk(path);
      } else if (stat.isSymbolicLink()) {
        members.push({ path, type: "symlink", target: readlinkSync(full) });
      } else if (stat.isFile()) {
        members.push({ path, type: "file", data: readFileSync(full), mode: stat.mode & 0o7777 });
      }
    }
  };
  walk("");
  return members;
}

function header(member: TarMember, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const path = member.type === "dir" && !member.path.endsWith("/") ? `${member.path}/` : member.path;
  const [prefix, name] = splitPath(path);
  block.write(name, 0, 100, "utf8");
  octal(block, 100, 8, member.type === "symlink" ? 0o777 : member.mode);
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, size);
  octal(block, 136, 12, 0); // mtime
  block.fill(" ", 148, 156); // the checksum counts its own field as spaces
  block.write(member.type === "file" ? "0" : member.type === "dir" ? "5" : "2", 156, 1, "ascii");
  if (member.type === "symlink") {
    if (Buffer.byteLength(member.target) > 100) throw tooLong(member.target);
    block.write(member.target, 157, 100, "utf8");
  }
  block.write("ustar\u000000", 257, 8, "ascii");
  block.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8, "ascii");
  return block;
}

/** ustar's split of a long path: up to 155 bytes of folders in `prefix`, the rest (up to 100) in `name`. */
function splitPath(path: string): [string, string] {
  if (Buffer.byteLength(path) <= 100) return ["", path];
  for (let at = path.indexOf("/"); at !== -1; at = path.indexOf("/", at + 1)) {
    const prefix = path.slice(0, at);
    const name = path.slice(at + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== "") return [prefix, name];
  }
  throw tooLong(path);
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, "0")}\u0000`, offset, length, "ascii");
}

function tooLong(path: string): QusError {
  return new QusError("QUS_EXEC_FAILED", `cannot put ${path} in a tar archive: the path is too long for ustar`, {
    hint: "use shorter file names in the build folder",
  });
}
