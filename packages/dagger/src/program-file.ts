import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client, File } from "@dagger.io/dagger";

/** Where the module writes programs, under its working directory. */
export const PROGRAM_DIR = ".qus-programs";

/** Turns a program's bytes into a Dagger File. */
export type ProgramFiles = (program: Uint8Array) => Promise<File>;

/**
 * Binary files for the engine. The API's file contents are text (`withNewFile` writes a string as UTF-8, which
 * mangles every byte above 0x7f), so the module writes the bytes into its own working directory (`/scratch` in
 * the module's runtime container) and hands the engine that file (`currentModule.workdirFile`), byte for byte.
 * Files are named by their content: the same probe is written once.
 */
export function workdirProgramFiles(client: Client, workdir: string = process.cwd()): ProgramFiles {
  const written = new Map<string, Promise<void>>();
  return async (program) => {
    const name = `${createHash("sha256").update(program).digest("hex").slice(0, 32)}.bin`;
    const relative = `${PROGRAM_DIR}/${name}`;
    const done =
      written.get(name) ??
      mkdir(join(workdir, PROGRAM_DIR), { recursive: true }).then(() =>
        writeFile(join(workdir, relative), program, { mode: 0o755 }),
      );
    written.set(name, done);
    await done;
    return client.currentModule().workdirFile(relative);
  };
}
