import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { hostCpu, nativeCandidates } from "../architectures.js";
import { renderRegister } from "../binfmt/register.js";
import { defaultSearchDirs, findInterpreters } from "../drivers/local/interpreters.js";
import { QusError } from "../errors.js";
import { type Interpreter, wantedRegistration } from "../plan.js";
import { resolvePlatforms } from "../platform.js";
import { buildProbe } from "../probe/index.js";
import { canonicalPlatform, entryName, interpreterBase, type QemuCpu, type Target } from "../targets.js";
import type { ScriptEntry } from "./setup-script.js";

/** Every platform asked for, as the script registers it; the host's own cpu is left out (it runs as it is). */
export function emulationEntries(
  platforms: string | readonly string[],
  interpreterDirs: readonly string[],
  host: QemuCpu | undefined = hostCpu(),
): ScriptEntry[] {
  const targets = resolvePlatforms(platforms).filter((target) => target.cpu !== host);
  const interpreters = findInterpreters(
    targets.map((target) => target.cpu),
    interpreterDirs,
  );
  const candidates = nativeCandidates(host);
  return targets.map((target) => {
    const interpreter = interpreters.get(target.cpu) ?? missing(target, interpreterDirs);
    return entryOf(target, interpreter, candidates.includes(target.cpu));
  });
}

function entryOf(target: Target, interpreter: Interpreter, maybeNative: boolean): ScriptEntry {
  // F: the kernel opens the interpreter now, so it runs in every mount namespace and chroot the command makes.
  const registration = wantedRegistration(target, interpreter.path, "F");
  return {
    name: entryName(target),
    register: renderRegister(registration),
    interpreter: interpreter.path,
    probe: buildProbe(target.cpu),
    maybeNative,
  };
}

function missing(target: Target, dirs: readonly string[]): never {
  const name = interpreterBase(target);
  throw new QusError(
    "QUS_INTERPRETER_MISSING",
    `no ${name}-static or ${name} for ${canonicalPlatform(target)} in ${dirs.join(", ")}`,
    {
      hint: "install QEMU (Debian: apt-get install qemu-user-static), or take Debian's without root: --qemu-from debian:trixie",
    },
  );
}

/** Where interpreters are looked for: the folder given, or PATH and the distributions' folders. */
export function interpreterDirs(qemuPath: string | undefined): string[] {
  return qemuPath === undefined ? defaultSearchDirs() : [qemuPath];
}

/** Whether `newuidmap` and `newgidmap` are on PATH and the user has subordinate uids and gids. */
export function hasSubordinateIds(
  read: (path: string) => string | undefined = readText,
  user: { name: string; uid: number } = { name: userInfo().username, uid: process.getuid?.() ?? 0 },
  dirs: readonly string[] = defaultSearchDirs(),
  exists: (path: string) => boolean = existsSync,
): boolean {
  const tools = ["newuidmap", "newgidmap"].every((tool) => dirs.some((dir) => exists(`${dir}/${tool}`)));
  const owns = (file: string) =>
    (read(file) ?? "").split("\n").some((line) => [user.name, String(user.uid)].includes(line.split(":")[0] ?? ""));
  return tools && owns("/etc/subuid") && owns("/etc/subgid");
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
