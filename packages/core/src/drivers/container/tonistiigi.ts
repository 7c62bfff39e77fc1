/**
 * tonistiigi/binfmt (github.com/tonistiigi/binfmt), the installer image docker/setup-qemu-action runs:
 * `docker run --rm --privileged <image> --install <archs>`. The image is FROM scratch with
 * `ENTRYPOINT ["/usr/bin/binfmt"]`, so the command is binfmt's own flags. It registers `qemu-<cpu>` entries
 * (flags `CF`, plus `P` in the published images), writes the `installing:` / `uninstalling:` lines to stderr
 * (Go's log) and the status JSON to stdout, and exits 0 even when every install failed: read the lines.
 */

import { QusError } from "../../errors.js";
import { canonicalPlatform, type Target } from "../../targets.js";

/**
 * The pinned image: QEMU 10.2.3, release `deploy/v10.2.3-68` (2026-06-08) of tonistiigi/binfmt. Its release
 * workflow tags `qemu-<version>-<run>` once per run; `qemu-v10.2.3` and `latest` move with later runs.
 * Published for linux/amd64, arm64, arm/v6, arm/v7, ppc64le, s390x, riscv64 and 386 engines.
 */
export const TONISTIIGI_IMAGE = "tonistiigi/binfmt:qemu-v10.2.3-68";

/** What binfmt's status JSON says: the platforms the engine can run, and the enabled binfmt_misc entries. */
export interface TonistiigiStatus {
  /** OCI platforms, native ones included (`linux/amd64`, `linux/arm/v7`). */
  readonly supported: string[];
  /** Names of the enabled entries (`qemu-aarch64`), whoever registered them. */
  readonly emulators: string[];
}

/** One `installing: <arch> <result>` line. */
export interface TonistiigiInstallLine {
  /** binfmt's architecture name as printed (`arm64`). */
  readonly platform: string;
  /** The line said `OK`. `<entry> already registered` is not ok: the entry may differ from binfmt's. */
  readonly ok: boolean;
  /** The rest of the line: `OK`, or binfmt's error. */
  readonly message: string;
}

// binfmt's names are Go's GOARCH (its configs in cmd/binfmt/config.go); they are the architecture of qus's
// canonical platform but for big-endian arm, which qus calls linux/armeb and Go calls armbe.
const ARCH_EXCEPTIONS: Readonly<Record<string, string>> = { armeb: "armbe" };

// cmd/binfmt/config.go: the architectures binfmt has an emulator for, by its names. QEMU's other linux-user targets
// (alpha, m68k, sh4, ...) are not in its image.
const ARCHS = new Set([
  "amd64",
  "arm64",
  "arm",
  "s390x",
  "ppc64le",
  "riscv64",
  "386",
  "mips64le",
  "mips64",
  "loong64",
  "armbe",
  "sparc64",
  "ppc64",
  "mips",
  "mipsle",
]);

/** Whether tonistiigi/binfmt's image has an emulator for a target (15 of QEMU's targets). */
export function tonistiigiSupports(target: Target): boolean {
  return ARCHS.has(tonistiigiArch(target));
}

/** binfmt's name for a target (`arm64` for aarch64, `386` for i386, `loong64` for loongarch64). */
export function tonistiigiArch(target: Target): string {
  const arch = canonicalPlatform(target).split("/")[1] ?? target.cpu;
  return ARCH_EXCEPTIONS[target.cpu] ?? arch;
}

/** The container command that installs targets: `["--install", "arm64,riscv64"]`. */
export function tonistiigiInstallCommand(targets: readonly Target[]): string[] {
  if (targets.length === 0) throw new QusError("QUS_USAGE", "no targets to install with tonistiigi/binfmt");
  return ["--install", [...new Set(targets.map(tonistiigiArch))].join(",")];
}

/**
 * The container command that removes binfmt_misc entries by name: `["--uninstall", "qemu-aarch64"]`.
 * binfmt also takes globs (`qemu-*`), matched in the binfmt_misc folder.
 */
export function tonistiigiUninstallCommand(entryNames: readonly string[]): string[] {
  const bad = entryNames.find((name) => !/^[\w.*-]+$/.test(name));
  if (entryNames.length === 0 || bad !== undefined) {
    throw new QusError("QUS_USAGE", `not a binfmt_misc entry name for tonistiigi/binfmt: ${JSON.stringify(bad ?? "")}`);
  }
  return ["--uninstall", entryNames.join(",")];
}

/**
 * Reads binfmt's status JSON: the last JSON object in the output, which may follow `installing:` lines
 * when stderr and stdout are read together. `"emulators": null` (no entry enabled) reads as `[]`.
 * Throws QUS_EXEC_FAILED when there is none, as when binfmt could not mount binfmt_misc.
 */
export function parseTonistiigiStatus(stdout: string): TonistiigiStatus {
  const end = stdout.lastIndexOf("}");
  for (let start = stdout.lastIndexOf("{", end); start >= 0; start = stdout.lastIndexOf("{", start - 1)) {
    const status = statusFrom(stdout.slice(start, end + 1));
    if (status) return status;
  }
  const error = stdout.split("\n").find((line) => line.startsWith("error: "));
  throw new QusError(
    "QUS_EXEC_FAILED",
    `tonistiigi/binfmt printed no status: ${error ?? (stdout.trim().split("\n").at(-1) || "no output")}`,
  );
}

function statusFrom(text: string): TonistiigiStatus | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { supported, emulators } = (value ?? {}) as Record<string, unknown>;
  const list = (field: unknown) =>
    field === null ? [] : Array.isArray(field) && field.every((item) => typeof item === "string") ? field : undefined;
  const [platforms, entries] = [list(supported), list(emulators)];
  return platforms && entries ? { supported: platforms, emulators: entries } : undefined;
}

/** Reads binfmt's `installing: <arch> OK` / `installing: <arch> <error>` lines (stderr, or both streams). */
export function parseTonistiigiInstallLines(stdout: string): TonistiigiInstallLine[] {
  const lines: TonistiigiInstallLine[] = [];
  for (const line of stdout.split("\n")) {
    const match = /^installing: (\S+) (.+)$/.exec(line.trimEnd());
    if (match?.[1] && match[2]) lines.push({ platform: match[1], ok: match[2] === "OK", message: match[2] });
  }
  return lines;
}
