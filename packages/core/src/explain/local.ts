import { existsSync } from "node:fs";
import { createLocalDriver } from "../drivers/local/index.js";
import type { Driver } from "../drivers/types.js";
import { isQusError } from "../errors.js";
import type { Target } from "../targets.js";
import { judgeFile, kernelViewOf, type RootView, targetOfHeader } from "./judge.js";
import type { Explanation, FileExplanation, FileProblem } from "./model.js";
import { headOfHostFile, loaderStateOf, type ReadElf, readElfFile } from "./read-file.js";

/** Options of {@link explainFiles}. */
export interface ExplainFilesOptions {
  /** The driver of this machine's kernel; the local driver by default (tests pass their own). */
  readonly driver?: Driver;
}

/** This machine's root, as a program started here meets it. */
const HOST_ROOT: RootView = {
  loader: (path, program) => loaderStateOf(headOfHostFile(path), program),
  exists: (path) => existsSync(path),
};

/**
 * Explains files on this machine: each one's architecture and ABI, the binfmt_misc entry that claims it (matched
 * as the kernel matches), whether that entry works (its probe, run chrooted as root), and whether the program runs
 * here, in a chroot and in a container, with the reason and the fix when it does not. Changes nothing.
 */
export async function explainFiles(paths: readonly string[], options: ExplainFilesOptions = {}): Promise<Explanation> {
  const read = paths.map((path) => {
    try {
      return { path, file: readElfFile(path) };
    } catch (error) {
      if (!isQusError(error)) throw error;
      return { path, problem: { path, error: { code: error.code, message: error.message, hint: error.hint } } };
    }
  });
  const targets = new Map<string, Target>();
  for (const item of read) {
    const target = item.file && targetOfHeader(item.file.header);
    if (target) targets.set(target.cpu, target);
  }
  const driver = options.driver ?? createLocalDriver();
  const inspection = await driver.inspect({ targets: [...targets.values()], mount: false, verify: true });
  const kernel = kernelViewOf(inspection);
  const files = read.map(
    (item): FileExplanation | FileProblem =>
      item.problem ??
      judgeFile(item.path, (item.file as ReadElf).elf, (item.file as ReadElf).header, kernel, {
        kind: "host",
        root: HOST_ROOT,
      }),
  );
  return {
    schemaVersion: 1,
    driver: driver.name,
    kernel: {
      release: inspection.kernel.release,
      binfmtEnabled: inspection.kernel.binfmtEnabled !== false,
      binfmtMounted: inspection.kernel.binfmtMounted,
    },
    files,
    warnings: inspection.warnings,
    ok: files.every((file) => "ok" in file && file.ok),
  };
}
