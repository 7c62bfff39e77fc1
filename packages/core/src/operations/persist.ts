import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { registrationOf, renderRegister } from "../binfmt/register.js";
import { QusError } from "../errors.js";
import { buildReport, describePlatform, entryState } from "../report/build.js";
import type { PersistedFile, Report } from "../report/model.js";
import { entryName } from "../targets.js";
import { driverOf, type OperationOptions, targetsOf } from "./common.js";

/** Options of {@link persist}. */
export interface PersistOptions extends OperationOptions {
  /** Folder of systemd-binfmt's configuration; `/etc/binfmt.d` by default. */
  readonly dir?: string;
  /** Return the files without writing them. */
  readonly dryRun?: boolean;
}

/** Default folder read by systemd-binfmt.service at boot. */
export const BINFMT_D = "/etc/binfmt.d";

/**
 * Writes a systemd binfmt.d file (`qemu-<cpu>.conf`) for each of the platforms that qus's entries register now,
 * so the registration survives a reboot. Platforms default to every registered one.
 */
export async function persist(options: PersistOptions = {}): Promise<Report> {
  const targets = targetsOf(options, true);
  const dir = options.dir ?? BINFMT_D;
  const dryRun = options.dryRun ?? false;
  const driver = driverOf(options);
  const inspection = await driver.inspect({ targets, mount: false, verify: false });
  const asked = options.platforms !== undefined;
  const files: PersistedFile[] = [];
  const platforms = [];
  for (const target of targets) {
    const entry = inspection.entries.find((candidate) => candidate.name === entryName(target));
    const registration = entry && registrationOf(entry);
    if (!registration && !asked) continue;
    const content = registration ? `${renderRegister(registration)}\n` : undefined;
    if (registration && content) files.push({ path: join(dir, `${registration.name}.conf`), content, written: false });
    platforms.push(
      describePlatform({
        target,
        action: "none",
        before: entryState(entry),
        after: entry,
        qemuVersions: inspection.qemuVersions,
        reasons: content ? [] : ["not registered: nothing to persist (run qus ensure first)"],
        requireVerified: false,
      }),
    );
  }
  const written = dryRun ? files : await writeFiles(dir, files);
  return { ...buildReport("persist", driver.name, inspection, platforms, dryRun), files: written };
}

async function writeFiles(dir: string, files: readonly PersistedFile[]): Promise<PersistedFile[]> {
  try {
    await mkdir(dir, { recursive: true });
    return await Promise.all(
      files.map(async (file) => {
        await writeFile(file.path, file.content, { mode: 0o644 });
        return { ...file, written: true };
      }),
    );
  } catch (error) {
    throw new QusError("QUS_PERSIST_FAILED", `could not write binfmt.d files to ${dir}: ${String(error)}`, {
      hint: "run as root, or pass --dir to a writable folder, or --dry-run to print them",
      cause: error,
    });
  }
}
