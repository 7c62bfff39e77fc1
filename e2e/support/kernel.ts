import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach } from "vitest";

/** Where binfmt_misc is mounted on this machine. */
export const BINFMT = "/proc/sys/fs/binfmt_misc";
const QUS_BIN = fileURLToPath(new URL("../../packages/cli/bin/qus.js", import.meta.url));
const BUSYBOX_DIR = fileURLToPath(new URL("../../tools/fixtures/.cache/busybox", import.meta.url));

/** The seven platforms the foundation issue names, as the user writes them. */
export const SEVEN = "linux/arm64,linux/arm/v7,linux/ppc64le,linux/s390x,linux/riscv64,linux/mips64le,linux/loong64";

/** How a `qus` run ended. */
export interface QusRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `qus` CLI with an argv array. */
export function qus(
  args: readonly string[],
  options: { uid?: number; env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {},
): Promise<QusRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [QUS_BIN, ...args], {
      uid: options.uid,
      gid: options.uid,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (exitCode, signal) =>
      resolve({ exitCode: exitCode ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null), stdout, stderr }),
    );
  });
}

/** Runs `qus ... --json` and parses the report. */
export async function qusJson(
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ run: QusRun; report: JsonReport }> {
  const run = await qus([...args, "--json"], { env });
  try {
    return { run, report: JSON.parse(run.stdout) as JsonReport };
  } catch {
    throw new Error(`qus ${args.join(" ")} printed no JSON (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** The parts of the JSON report the tests read. */
export interface JsonReport {
  ok: boolean;
  driver: string;
  warnings: string[];
  kernel: { binfmtEnabled?: boolean };
  driverDetails?: Record<string, string>;
  platforms: {
    platform: string;
    cpu: string;
    before: string;
    action: string;
    after: string;
    verified: boolean | null;
    verification?: string;
    failure?: string;
    flags?: string;
    interpreter?: string;
    qemuVersion?: string;
    hint?: string;
    reasons: string[];
    error?: { code: string; message: string };
    ok: boolean;
  }[];
}

/** Names of the entries in the kernel's table. */
export function entryNames(): string[] {
  return readdirSync(BINFMT)
    .filter((name) => name !== "register" && name !== "status")
    .sort();
}

/** Text of an entry file, or undefined. */
export function readEntryText(name: string): string | undefined {
  const path = `${BINFMT}/${name}`;
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/** Writes a register string directly, as another installer would. */
export function registerRaw(line: string): void {
  writeFileSync(`${BINFMT}/register`, line);
}

/**
 * riscv64's magic and mask as binfmt_misc takes them (`\xNN` escaped): for entries that stand in qus's way, such as
 * a distribution's stale registration under another name.
 */
export const RISCV64_MAGIC = "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xf3\\x00";
export const RISCV64_MASK =
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";

/** Registers an entry for riscv64 named `name` whose interpreter is not there (no F flag): it claims, and fails. */
export function registerStaleRiscv64(name: string): void {
  registerRaw(`:${name}:M::${RISCV64_MAGIC}:${RISCV64_MASK}:/nonexistent/qemu-riscv64:`);
}

/** Removes one entry by name if present (never writes to `status`). */
export function removeRaw(name: string): void {
  if (existsSync(`${BINFMT}/${name}`)) writeFileSync(`${BINFMT}/${name}`, "-1");
}

/** Disables one entry (writes `0` to it). */
export function disableRaw(name: string): void {
  writeFileSync(`${BINFMT}/${name}`, "0");
}

/** Removes every `qemu-*` entry: the clean table the tests start from. */
export function removeQemuEntries(): void {
  for (const name of entryNames()) if (name.startsWith("qemu-")) removeRaw(name);
}

/** Mounts binfmt_misc if needed, so tests can prepare the table before qus runs. */
export function ensureMounted(): void {
  if (existsSync(`${BINFMT}/register`)) return;
  const result = spawnSync("mount", ["-t", "binfmt_misc", "binfmt_misc", BINFMT]);
  if (result.status !== 0) throw new Error(`cannot mount binfmt_misc: ${result.stderr}`);
}

/** Path of Debian's busybox-static for an architecture (fetched by tools/fixtures/fetch-busybox.sh). */
export function busybox(debianArch: string): string {
  const path = `${BUSYBOX_DIR}/${debianArch}/busybox`;
  if (!existsSync(path)) throw new Error(`${path} is missing: run tools/fixtures/fetch-busybox.sh`);
  return path;
}

/** Runs a program directly (through whatever binfmt handler claims it). */
export function runProgram(
  path: string,
  args: readonly string[],
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(path, args, { encoding: "utf8" });
  return {
    status: result.status,
    stdout: result.stdout?.trim() ?? "",
    stderr: result.stderr ?? String(result.error ?? ""),
  };
}

/**
 * Whether this machine runs i386 programs natively (x86_64 kernels with IA32 emulation; some VMs have none). Run
 * when no entry claims i386, as after {@link useCleanQemuTable}'s clean-up.
 */
export function i386RunsNatively(): boolean {
  return runProgram(busybox("i386"), ["true"]).status === 0;
}

/** Fails fast with a clear message when the kernel tests are run without root. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error("the kernel tests change binfmt_misc and must run as root");
}

/** Register strings of the `qemu-*` entries present now, to put back after the tests. */
export async function snapshotQemuEntries(): Promise<string[]> {
  const { parseEntry, registrationOf, renderRegister } = await import("@qus/core/toolkit");
  return entryNames()
    .filter((name) => name.startsWith("qemu-"))
    .flatMap((name) => {
      const registration = registrationOf(parseEntry(name, readEntryText(name) ?? ""));
      return registration ? [renderRegister(registration)] : [];
    });
}

/** Puts the table's `qemu-*` entries back as they were in a snapshot. */
export function restoreQemuEntries(snapshot: readonly string[]): void {
  removeQemuEntries();
  for (const line of snapshot) registerRaw(line);
}

/**
 * Hooks for a test file that changes the binfmt_misc table: needs root, starts each test from a table without
 * qemu-* entries, and puts back the ones it found when the file is done. `setup` runs once after the snapshot.
 */
export function useCleanQemuTable(setup?: () => void | Promise<void>): void {
  let snapshot: string[] = [];
  beforeAll(async () => {
    requireRoot();
    ensureMounted();
    snapshot = await snapshotQemuEntries();
    await setup?.();
  }, 600_000);
  afterAll(() => restoreQemuEntries(snapshot));
  beforeEach(() => removeQemuEntries());
}
