import { errnoCode } from "../../errors.js";
import type { InterpreterFile } from "../types.js";
import { readHeaderSync } from "./host.js";
import { isStaticElf } from "./interpreters.js";

/**
 * What an interpreter's file is on this machine: a static or dynamic program of the host's own machine type, a
 * script (`#!`), a program of another machine ("foreign"), or missing; undefined when it cannot be told (a folder
 * qus may not read). Tells the real cause of a failed probe, and of an entry without F that cannot work.
 */
export function classifyInterpreter(path: string, hostHeader: Uint8Array | undefined): InterpreterFile | undefined {
  let head: Uint8Array;
  try {
    head = readHeaderSync(path, 4096);
  } catch (error) {
    // Only a path that does not resolve is missing; a refusal to read says nothing about the kernel's exec.
    return ["ENOENT", "ENOTDIR", "ELOOP"].includes(errnoCode(error) ?? "") ? "missing" : undefined;
  }
  if (head[0] === 0x23 && head[1] === 0x21) return "script";
  const isElf = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
  if (!isElf || (hostHeader && machineOf(head) !== machineOf(hostHeader))) return "foreign";
  return isStaticElf(head) ? "static" : "dynamic";
}

// e_machine with the class and byte order: one host machine type.
function machineOf(head: Uint8Array): string {
  const little = head[5] === 1;
  const machine = little ? (head[18] ?? 0) | ((head[19] ?? 0) << 8) : ((head[18] ?? 0) << 8) | (head[19] ?? 0);
  return `${head[4]}:${head[5]}:${machine}`;
}
