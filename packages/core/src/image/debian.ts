import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { cpuOfMachine, KNOWN_MACHINES } from "../architectures.js";
import { QusError } from "../errors.js";
import type { Exec } from "../exec.js";
import { targetByCpu } from "../targets.js";

/** Debian's architecture name for an engine's machine (`uname -m`), from the target table. */
export function debianArchOf(machine: string): string | undefined {
  const cpu = cpuOfMachine(machine);
  return cpu ? targetByCpu(cpu)?.debianArch : undefined;
}

/** A downloaded Debian package. */
export interface DebianPackage {
  readonly name: string;
  readonly version: string;
  readonly file: string;
}

/** Downloads packages with `apt-get download` into `dir` (Debian's archive, no container registry). */
export async function downloadPackages(exec: Exec, names: readonly string[], arch: string, dir: string): Promise<void> {
  const result = await exec("apt-get", ["download", ...names.map((name) => `${name}:${arch}`)], {
    timeoutMs: 600_000,
    cwd: dir,
  });
  if (result.exitCode !== 0) {
    const detail = (result.stderr || result.startError || "").trim().split("\n").slice(-2).join(" ");
    throw new QusError("QUS_IMAGE_BUILD_FAILED", `could not download ${names.join(", ")} for ${arch}: ${detail}`, {
      hint: /unable to locate/i.test(detail)
        ? `run apt-get update first${arch ? ` (for another architecture: dpkg --add-architecture ${arch} && apt-get update)` : ""}, or pass --deb-dir with the .deb files`
        : "check access to Debian's archive, or pass --deb-dir with the .deb files",
    });
  }
}

/** Finds `<name>_<version>_<arch>.deb` files in a folder and reads their versions. */
export async function findPackages(
  exec: Exec,
  dir: string,
  names: readonly string[],
  arch: string,
): Promise<DebianPackage[]> {
  const files = await readdir(dir);
  return Promise.all(
    names.map(async (name) => {
      const file = files.find((candidate) => candidate.startsWith(`${name}_`) && candidate.endsWith(`_${arch}.deb`));
      if (!file) {
        throw new QusError("QUS_IMAGE_BUILD_FAILED", `no ${name} package for ${arch} in ${dir}`, {
          hint: `put ${name}_<version>_${arch}.deb there, or leave out --deb-dir to download it`,
        });
      }
      const result = await exec("dpkg-deb", ["--field", join(dir, file), "Version"]);
      return { name, version: result.stdout.trim(), file: join(dir, file) };
    }),
  );
}

/** Unpacks a package's files into a folder. */
export async function extractPackage(exec: Exec, pkg: DebianPackage, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const result = await exec("dpkg-deb", ["--extract", pkg.file, dir], { timeoutMs: 300_000 });
  if (result.exitCode !== 0) {
    throw new QusError("QUS_IMAGE_BUILD_FAILED", `could not unpack ${pkg.file}: ${result.stderr.trim()}`, {
      hint: "check the .deb file and free disk space; dpkg-deb comes with dpkg",
    });
  }
}

/** Machines (`uname -m`) that Debian has an architecture for. */
export function debianMachines(): string[] {
  return KNOWN_MACHINES.filter((machine) => debianArchOf(machine) !== undefined);
}
