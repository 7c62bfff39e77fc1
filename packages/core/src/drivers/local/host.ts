import { closeSync, openSync, readSync } from "node:fs";
import { type MagicPattern, matchesHeader } from "../../binfmt/match.js";

/** Programs that surely are this machine's own: a handler matching them would route the host through QEMU. */
const HOST_PROGRAMS = [process.execPath, "/bin/sh"];

/** The first 128 bytes of this machine's own programs (those that can be read). */
export function readHostHeaders(): Uint8Array[] {
  return HOST_PROGRAMS.flatMap((path) => {
    try {
      return [readHeaderSync(path)];
    } catch {
      return [];
    }
  }).filter((header) => header.length > 0);
}

/** The first `length` bytes of a file. */
export function readHeaderSync(path: string, length = 128): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const buffer = new Uint8Array(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Whether a pattern would claim any of the host's own programs. */
export function matchesHost(pattern: MagicPattern, hostHeaders: readonly Uint8Array[]): boolean {
  return hostHeaders.some((header) => matchesHeader(pattern, header));
}
