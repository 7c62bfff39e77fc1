import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { dirname } from "node:path";

/** A user without root made for a test: `useradd` gives it a home and 65,536 subordinate uids and gids. */
export interface PlainUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** How a program run as the user ended. */
export interface UserRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function must(argv: readonly string[]): string {
  const result = spawnSync(argv[0] ?? "", argv.slice(1), { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${argv.join(" ")} failed: ${result.stderr}${result.error ?? ""}`);
  return result.stdout.trim();
}

/** Creates the user afresh (removing one left by an earlier run), with its subordinate ids. Needs root. */
export function createPlainUser(name: string): PlainUser {
  removePlainUser(name);
  must(["useradd", "--create-home", "--shell", "/bin/sh", name]);
  const owns = (file: string) =>
    readFileSync(file, "utf8")
      .split("\n")
      .some((line) => line.startsWith(`${name}:`));
  if (!owns("/etc/subuid") || !owns("/etc/subgid")) throw new Error(`useradd gave ${name} no subordinate ids`);
  const uid = Number(must(["id", "-u", name]));
  const gid = Number(must(["id", "-g", name]));
  return { name, uid, gid, home: must(["sh", "-c", 'getent passwd "$1" | cut -d: -f6', "sh", name]) };
}

/** Removes the user, its home and its subordinate ids, if it exists. */
export function removePlainUser(name: string): void {
  if (spawnSync("id", ["-u", name]).status !== 0) return;
  spawnSync("pkill", ["-KILL", "-u", name]);
  must(["userdel", "--remove", name]);
}

/** The environment a login of the user would have, with this Node first on PATH. */
export function userEnv(user: PlainUser, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const path = [dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"].join(":");
  return { PATH: path, HOME: user.home, USER: user.name, LOGNAME: user.name, NO_COLOR: "1", ...extra };
}

/**
 * Runs an argv as the user (setpriv: its uid, gid and groups, no capability; the same pid, so signals sent to
 * `onSpawn`'s pid reach the program itself), in its home, with `input` on stdin.
 */
export function asUser(
  user: PlainUser,
  argv: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    input?: string;
    onSpawn?: (pid: number) => void;
    onStdout?: (text: string) => void;
  } = {},
): Promise<UserRun> {
  return new Promise((resolve, reject) => {
    const setpriv = ["--reuid", String(user.uid), "--regid", String(user.gid), "--init-groups", "--"];
    const child = spawn("setpriv", [...setpriv, ...argv], { cwd: user.home, env: userEnv(user, options.env) });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      options.onStdout?.(stdout);
    });
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.stdin.end(options.input ?? "");
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({ exitCode: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null), stdout, stderr }),
    );
  });
}

/** The user's processes still alive (zombies waiting for their reaper are not). */
export function livingProcesses(user: PlainUser): string[] {
  const result = spawnSync("ps", ["-u", String(user.uid), "-o", "pid=,stat=,args="], { encoding: "utf8" });
  return result.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/^\d+\s+Z/.test(line));
}
