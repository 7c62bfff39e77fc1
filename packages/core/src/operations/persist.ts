import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BinfmtEntry } from "../binfmt/entry.js";
import { type Registration, registrationOf, renderRegister } from "../binfmt/register.js";
import type { Inspection } from "../drivers/types.js";
import { errnoCode, QusError } from "../errors.js";
import { buildReport, describePlatform, entryState } from "../report/build.js";
import type { PersistedFile, PlatformReport, Report } from "../report/model.js";
import { entryName, interpreterBase, type Target } from "../targets.js";
import { driverOf, type OperationOptions, targetsOf } from "./common.js";
import { claimantOf, kernelProblem } from "./kernel-problems.js";

/** Options of {@link persist}. */
export interface PersistOptions extends OperationOptions {
  /** Folder of systemd-binfmt's configuration; `/etc/binfmt.d` by default. */
  readonly dir?: string;
  /** Return the files without writing them. */
  readonly dryRun?: boolean;
}

/** Default folder read by systemd-binfmt.service at boot. */
export const BINFMT_D = "/etc/binfmt.d";

/** First line of every file qus writes: how it knows a file is its own to overwrite. */
export const PERSIST_MARKER = "# Written by qus (qus persist): registers QEMU at boot through systemd-binfmt.";

/**
 * Writes a systemd binfmt.d file (`qemu-<cpu>.conf`) for each platform whose qus entry is registered and verified
 * now, so the registration survives a reboot. Platforms default to every registered one. A file that qus did not
 * write is never overwritten, and an entry that does not verify, or whose interpreter path no longer holds that
 * emulator, is not persisted (it would break at the next boot).
 */
export async function persist(options: PersistOptions = {}): Promise<Report> {
  const targets = targetsOf(options, true);
  const dir = options.dir ?? BINFMT_D;
  const dryRun = options.dryRun ?? false;
  const driver = driverOf(options);
  const inspection = await driver.inspect({ targets, mount: false, verify: true });
  const asked = options.platforms !== undefined;
  const files: PersistedFile[] = [];
  const platforms: PlatformReport[] = [];
  for (const target of targets) {
    const entry = inspection.entries.find((candidate) => candidate.name === entryName(target));
    if (!entry && !asked) continue;
    const persistable = entry ? await persistableLine(inspection, target, entry, dir) : undefined;
    const blocker = persistable instanceof QusError ? persistable : undefined;
    const registration = persistable instanceof QusError ? undefined : persistable;
    if (registration) {
      const content = `${PERSIST_MARKER}\n${renderRegister(registration)}\n`;
      files.push({ path: join(dir, `${registration.name}.conf`), content, written: false });
    }
    platforms.push(
      describePlatform({
        target,
        action: "none",
        before: entryState(entry),
        after: entry,
        probe: entry ? inspection.probes.get(target.cpu) : undefined,
        qemuVersions: inspection.qemuVersions,
        claimant: claimantOf(inspection, target),
        interpreterFiles: inspection.interpreterFiles,
        reasons: entry ? [] : ["not registered: nothing to persist (run qus ensure first)"],
        error: blocker,
        requireVerified: entry !== undefined,
      }),
    );
  }
  const written = dryRun ? files : await writeFiles(dir, files);
  return { ...buildReport("persist", driver.name, inspection, platforms, dryRun), files: written };
}

/** The registration to write to a boot-time file for an entry, or why it must not be written. */
async function persistableLine(
  inspection: Inspection,
  target: Target,
  entry: BinfmtEntry,
  dir: string,
): Promise<Registration | QusError> {
  const problem = kernelProblem(inspection, target);
  if (problem) return problem;
  const registration = registrationOf(entry);
  if (!registration) {
    return new QusError("QUS_PERSIST_FAILED", `${entry.name} cannot be written as a binfmt.d line`, {
      hint: "re-register it: qus ensure --replace",
    });
  }
  if (!inspection.probes.get(target.cpu)?.ok) {
    return new QusError("QUS_PERSIST_FAILED", `${entry.name} does not verify: persisting it would break at boot too`, {
      hint: "fix it first (qus ensure --replace), then persist",
    });
  }
  // The kernel keeps an F entry's interpreter open: it can verify although the path now holds something else.
  const version = inspection.qemuVersions.get(entry.interpreter);
  const emulator = interpreterBase(target);
  if (!version || !new RegExp(`^${emulator}\\s`).test(version)) {
    return new QusError(
      "QUS_PERSIST_FAILED",
      `${entry.interpreter} ${version ? `is ${version.split(" ")[0]}, not ${emulator}` : "no longer runs as QEMU (missing or replaced)"}: at boot ${entry.name} would not work`,
      { hint: "install qemu-user-static again and re-register: qus ensure --replace, then persist" },
    );
  }
  const path = join(dir, `${entry.name}.conf`);
  const existing = await readFile(path, "utf8").catch(() => undefined);
  if (existing !== undefined && !existing.startsWith(PERSIST_MARKER)) {
    return new QusError("QUS_PERSIST_CONFLICT", `${path} exists and was not written by qus: left as it is`, {
      hint: "compare it with qus persist --dry-run, then move it away or pass --dir to write elsewhere",
    });
  }
  return registration;
}

async function writeFiles(dir: string, files: readonly PersistedFile[]): Promise<PersistedFile[]> {
  if (files.length === 0) return [];
  try {
    await mkdir(dir, { recursive: true });
    return await Promise.all(
      files.map(async (file) => {
        await writeFile(file.path, file.content, { mode: 0o644 });
        return { ...file, written: true };
      }),
    );
  } catch (error) {
    const denied = errnoCode(error) === "EACCES" || errnoCode(error) === "EPERM";
    throw new QusError(
      denied ? "QUS_NOT_ROOT" : "QUS_PERSIST_FAILED",
      `could not write binfmt.d files to ${dir}: ${errnoCode(error) ?? String(error)}`,
      {
        hint: "run as root, or pass --dir to a writable folder, or --dry-run to print them",
        cause: error,
      },
    );
  }
}
