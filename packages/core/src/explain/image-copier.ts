import { lstatSync, readlinkSync } from "node:fs";
import { join, posix } from "node:path";
import { QusError } from "../errors.js";
import type { DockerCli } from "./image-docker.js";
import { headOfHostFile } from "./read-file.js";

/** Symlinks followed inside an image before giving up, as the kernel's own bound (ELOOP). */
const MAX_LINKS = 40;

/** A path of the image copied out: where it is in the image (symlinks followed) and where it is here. */
export interface Copied {
  readonly path: string;
  readonly local: string;
}

/** Copies files out of a created container, following symlinks inside the image (never on this machine). */
export function imageCopier(docker: DockerCli, container: string, temp: string) {
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
export async function resolveCommand(
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
