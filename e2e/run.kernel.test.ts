import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildHungEmulator } from "./support/hung-emulator.js";
import { BINFMT, busybox, readEntryText, useCleanQemuTable } from "./support/kernel.js";
import { asUser, createPlainUser, livingProcesses, type PlainUser, removePlainUser } from "./support/plain-user.js";

// qus run as a new user without root would try it: Debian's foreign busybox and a dynamic hello, a test runner
// spawning a foreign program, statuses and signals, nesting, the refusal, and mmdebstrap --mode=unshare building an
// arm64 root. The host's table holds no qemu-* entry meanwhile (useCleanQemuTable), so whatever foreign runs, runs
// through qus run's own table; after every test the host's table is as before and /tmp holds nothing new.
useCleanQemuTable();

const QUS = fileURLToPath(new URL("../packages/cli/bin/qus.js", import.meta.url));
const FIXTURES = fileURLToPath(new URL("../tools/fixtures/.cache", import.meta.url));
const NAME = "qus-run-e2e";
let user: PlainUser;
/** The user's copies of the fixtures (its home is the only folder it may be expected to read). */
const files = { arm64: "", riscv64: "", s390x: "", armSh: "", hello: "", libc: "" };

function hostTable(): string[] {
  return readdirSync(BINFMT)
    .sort()
    .map((name) => `${name}\n${name === "register" ? "" : (readEntryText(name) ?? "")}`);
}

/** What the user owns in /tmp and /dev/shm (other people's runs on this machine may write there meanwhile). */
const listTmp = () =>
  ["/tmp", "/dev/shm"].flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => statSync(join(dir, name), { throwIfNoEntry: false })?.uid === user.uid)
      .map((name) => join(dir, name)),
  );
const qusRun = (args: readonly string[], options: Parameters<typeof asUser>[2] = {}) =>
  asUser(user, [process.execPath, QUS, "run", ...args], options);

function giveUser(source: string, relative: string): string {
  const target = join(user.home, relative);
  mkdirSync(join(target, ".."), { recursive: true });
  if (statSync(source).isDirectory()) cpSync(source, target, { recursive: true });
  else copyFileSync(source, target);
  spawnSync("chown", ["-R", `${user.uid}:${user.gid}`, join(user.home, relative.split("/")[0] ?? relative)]);
  chmodSync(target, 0o755);
  return target;
}

beforeAll(() => {
  user = createPlainUser(NAME);
  files.arm64 = giveUser(busybox("arm64"), "arm64/busybox");
  files.armSh = giveUser(busybox("arm64"), "arm64/sh");
  files.riscv64 = giveUser(busybox("riscv64"), "riscv64/busybox");
  files.s390x = giveUser(busybox("s390x"), "s390x/busybox");
  files.hello = giveUser(join(FIXTURES, "hello/arm64/hello"), "hello/hello");
  files.libc = giveUser(join(FIXTURES, "libc6/arm64"), "libc6");
}, 60_000);
afterAll(() => removePlainUser(NAME));

let table: string[];
let tmp: string[];
beforeEach(() => {
  table = hostTable();
  tmp = listTmp();
});
afterEach(() => {
  expect(hostTable()).toEqual(table);
  expect(listTmp()).toEqual(tmp);
  expect(livingProcesses(user)).toEqual([]);
});

describe("qus run as a user without root", () => {
  it("runs Debian's arm64, riscv64 and s390x busybox, which the host does not run, as the user's own ids", async () => {
    expect(spawnSync(files.arm64, ["true"]).status).not.toBe(0);
    const run = await qusRun([
      "--platforms",
      "arm64,riscv64,s390x",
      "--",
      "sh",
      "-c",
      '"$1" uname -m; "$2" uname -m; "$3" uname -m; "$1" id -u; "$1" touch made-here',
      "sh",
      files.arm64,
      files.riscv64,
      files.s390x,
    ]);
    expect(run).toMatchObject({ exitCode: 0, stderr: "" });
    expect(run.stdout).toBe(`aarch64\nriscv64\ns390x\n${user.uid}\n`);
    expect(statSync(join(user.home, "made-here")).uid).toBe(user.uid);
  });

  it("runs a dynamic arm64 hello through its own loader and C library", async () => {
    const loader = join(files.libc, "lib/ld-linux-aarch64.so.1");
    const libs = join(files.libc, "lib/aarch64-linux-gnu");
    const run = await qusRun(["--platforms", "linux/arm64", "--", loader, "--library-path", libs, files.hello]);
    expect(run).toMatchObject({ exitCode: 0, stdout: "Hello, world!\n" });
  });

  it("a test runner (node --test) spawning a foreign program: its pass and its failure pass through", async () => {
    const test = (expected: string) =>
      [
        'import { test } from "node:test";',
        'import assert from "node:assert";',
        'import { execFileSync } from "node:child_process";',
        `test("arm64 busybox", () => assert.equal(execFileSync(${JSON.stringify(files.arm64)}, ["uname", "-m"]).toString().trim(), ${JSON.stringify(expected)}));`,
      ].join("\n");
    writeFileSync(join(user.home, "pass.test.mjs"), test("aarch64"));
    writeFileSync(join(user.home, "fail.test.mjs"), test("x86_64"));
    const pass = await qusRun(["--platforms", "arm64", "--", "node", "--test", "pass.test.mjs"]);
    expect(pass.exitCode, pass.stdout + pass.stderr).toBe(0);
    expect(pass.stdout).toMatch(/^[#ℹ] pass 1$/m);
    const fail = await qusRun(["--platforms", "arm64", "--", "node", "--test", "fail.test.mjs"]);
    expect(fail.exitCode).toBe(1);
    expect(fail.stdout).toMatch(/^[#ℹ] fail 1$/m);
  });

  it("qus shell: $SHELL (here arm64 busybox's sh) reads its stdin, and its status is qus's", async () => {
    const run = await asUser(user, [process.execPath, QUS, "shell", "--platforms", "arm64"], {
      env: { SHELL: files.armSh },
      input: "uname -m; exit 4\n",
    });
    expect(run).toMatchObject({ exitCode: 4, stdout: "aarch64\n" });
  });

  it("--root: root of the namespace, the user's subordinate ids mapped too", async () => {
    const run = await qusRun([
      "--platforms",
      "arm64",
      "--root",
      "--",
      "sh",
      "-c",
      '"$1" uname -m; id -u; cat /proc/self/uid_map',
      "sh",
      files.arm64,
    ]);
    expect(run.exitCode).toBe(0);
    const [machine, id, ...map] = run.stdout.trim().split("\n");
    expect([machine, id]).toEqual(["aarch64", "0"]);
    expect(map.map((line) => line.trim().split(/\s+/))).toEqual([
      ["0", String(user.uid), "1"],
      ["1", expect.stringMatching(/^\d+$/), expect.stringMatching(/^6553[56]$/)],
    ]);
  });
});

describe("statuses and signals, as docker run", () => {
  it.each([0, 1, 2, 3, 42, 125])("the command's exit %i is qus run's", async (status) => {
    const run = await qusRun(["--platforms", "arm64", "--", files.arm64, "sh", "-c", `exit ${status}`]);
    expect(run).toMatchObject({ exitCode: status, stderr: "" });
  });

  it("a command killed by a signal: 128 + N", async () => {
    const run = await qusRun(["--platforms", "arm64", "--", files.arm64, "sh", "-c", "kill -KILL $$"]);
    expect(run.exitCode).toBe(137);
  });

  it("127 for a command not found, 126 for one that cannot run, qus's words on stderr", async () => {
    const missing = await qusRun(["--platforms", "arm64", "--", "no-such-command"]);
    expect(missing).toMatchObject({ exitCode: 127, stderr: "qus run: no-such-command: not found in PATH\n" });
    writeFileSync(join(user.home, "data.txt"), "text\n");
    chownSync(join(user.home, "data.txt"), user.uid, user.gid);
    const data = await qusRun(["--platforms", "arm64", "--", "./data.txt"]);
    expect(data.exitCode).toBe(126);
    expect(data.stderr).toContain("not executable");
  });

  it("125 when qus fails before the command: a platform with no QEMU, named", async () => {
    mkdirSync(join(user.home, "empty"), { recursive: true });
    const run = await qusRun(["--platforms", "arm64", "--qemu-path", join(user.home, "empty"), "--", "true"]);
    expect(run.exitCode).toBe(125);
    expect(run.stderr).toMatch(/QUS_INTERPRETER_MISSING/);
  });

  it("SIGTERM sent to qus reaches the command, which ends as it chooses", async () => {
    let pid = 0;
    let resolveReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (resolveReady = resolve));
    const script = 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done';
    const running = qusRun(["--platforms", "arm64", "--", files.arm64, "sh", "-c", script], {
      onSpawn: (spawned) => (pid = spawned),
      onStdout: (text) => text.includes("ready") && resolveReady(),
    });
    await ready;
    process.kill(pid, "SIGTERM");
    expect(await running).toMatchObject({ exitCode: 7, stdout: "ready\ngot TERM\n" });
  });

  it("qus killed with kill -9: the command dies with it, nothing is left in /tmp or the host's table", async () => {
    let pid = 0;
    let resolveReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (resolveReady = resolve));
    const running = qusRun(["--platforms", "arm64", "--", files.arm64, "sh", "-c", "echo ready; exec sleep 60"], {
      onSpawn: (spawned) => (pid = spawned),
      onStdout: (text) => text.includes("ready") && resolveReady(),
    });
    await ready;
    process.kill(pid, "SIGKILL");
    expect((await running).exitCode).toBe(137);
    // The kernel delivers the parent-death signal as qus's exit is processed: give it a moment.
    for (let i = 0; i < 50 && livingProcesses(user).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  });
});

describe("QEMU where the set-up's tmpfs goes, and QEMU that misbehaves", () => {
  /** A folder holding `program` as `qemu-CPU-static`: an emulator of a kind. */
  const emulator = (program: string, folder: string, cpu = "aarch64") => {
    mkdirSync(folder, { recursive: true, mode: 0o755 });
    copyFileSync(program, join(folder, `qemu-${cpu}-static`));
    chmodSync(join(folder, `qemu-${cpu}-static`), 0o755);
    return folder;
  };

  it("QEMU under /tmp (--qemu-path): registered in sight of the kernel, the probes' tmpfs elsewhere", async () => {
    const folder = emulator("/usr/bin/qemu-aarch64-static", `/tmp/${NAME}-qemu`);
    try {
      const run = await qusRun(["--platforms", "arm64", "--qemu-path", folder, "--", files.arm64, "uname", "-m"]);
      expect(run).toMatchObject({ exitCode: 0, stdout: "aarch64\n" });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("an emulator that never ends: killed after 20 s, QUS_TIMEOUT (125), the command never started", async () => {
    const hung = buildHungEmulator();
    try {
      const folder = emulator(hung.path, join(user.home, "hangs"), "s390x");
      const run = await qusRun(["--platforms", "s390x", "--qemu-path", folder, "--", files.s390x, "echo", "ran"]);
      expect(run.exitCode).toBe(125);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/QUS_TIMEOUT: qus run registered qemu-s390x, but its probe had not ended after 20 s/);
    } finally {
      hung.dispose();
    }
  }, 60_000);

  it("an emulator that fails at once: QUS_PLATFORM_NOT_RUNNABLE (125) with its status", async () => {
    const folder = emulator("/usr/bin/false", join(user.home, "fails"));
    const run = await qusRun(["--platforms", "arm64", "--qemu-path", folder, "--", files.arm64, "echo", "ran"]);
    expect(run.exitCode).toBe(125);
    expect(run.stderr).toMatch(/QUS_PLATFORM_NOT_RUNNABLE: .*qemu-aarch64.*status 1\b/);
  });
});

describe("nested, as root, and refused", () => {
  it("inside another user namespace (unshare -U -r): it works there too", async () => {
    const run = await asUser(user, [
      "unshare",
      "--user",
      "--map-root-user",
      "--",
      process.execPath,
      QUS,
      "run",
      "--platforms",
      "arm64",
      "--",
      files.arm64,
      "uname",
      "-m",
    ]);
    expect(run).toMatchObject({ exitCode: 0, stdout: "aarch64\n" });
  });

  it("as root: a private table too, the host's untouched", async () => {
    const { qus } = await import("./support/kernel.js");
    const run = await qus(["run", "--platforms", "arm64", "--", files.arm64, "uname", "-m"]);
    expect(run).toMatchObject({ exitCode: 0, stdout: "aarch64\n" });
  });

  it("where user namespaces are switched off (a nested namespace's user.max_user_namespaces = 0): exit 3, named", async () => {
    const run = await asUser(user, [
      "unshare",
      "--user",
      "--map-root-user",
      "--",
      "sh",
      "-c",
      'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"',
      "sh",
      process.execPath,
      QUS,
      "run",
      "--platforms",
      "arm64",
      "--",
      files.arm64,
      "true",
    ]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain("QUS_USERNS_UNAVAILABLE");
    expect(run.stderr).toContain("user.max_user_namespaces = 0");
    expect(run.stderr).toContain("sudo qus ensure");
  });
});

describe("a whole Debian arm64 root with no root at all", () => {
  it("slow (~100 s, deb.debian.org): mmdebstrap --mode=unshare under qus run --root", async () => {
    const tar = join(user.home, "bookworm-arm64.tar");
    const run = await qusRun([
      "--platforms",
      "arm64",
      "--root",
      "--",
      "mmdebstrap",
      "--quiet",
      "--mode=unshare",
      "--variant=essential",
      "--arch=arm64",
      "bookworm",
      tar,
    ]);
    expect(run.exitCode, run.stderr.slice(-3000)).toBe(0);
    expect(statSync(tar).uid).toBe(user.uid);
    // An arm64 program inside: ELF, e_machine 183 (AArch64).
    const listed = spawnSync("tar", ["-xOf", tar, "./usr/bin/true"], { maxBuffer: 1 << 24 });
    expect(listed.status).toBe(0);
    expect(listed.stdout.readUInt16LE(18)).toBe(183);
  }, 900_000);
});
