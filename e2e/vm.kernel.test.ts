import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDockerArchive } from "../packages/vm/src/docker-archive.js";
import { buildBusyboxImage, docker, requireDocker } from "./support/docker.js";
import { busybox, qus, useCleanQemuTable } from "./support/kernel.js";

// Real VMs: an arm64 Debian root built by qus vm create (cached between runs, keyed by the sources that shape it),
// booted by qemu-system-aarch64 under TCG with its own kernel, its dockerd reached from the host's docker CLI.
useCleanQemuTable();

// Outside the repository: while a root is built, it holds mounts (/proc, /sys, /dev) that no tool scanning the
// checkout for files (test runners, linters) should walk into.
const CACHE = process.env.QUS_E2E_VM_CACHE ?? "/var/cache/qus-e2e/vm";
const NAME = "qus-e2e-arm64";
const SHAPING_SOURCES = ["recipe.ts", "guest-files.ts", "initrd.ts", "init-script.ts", "kernel.ts", "mirror.ts"];
const IMAGES = ["qus-e2e-vm:special", "qus-e2e-vm:roundtrip"];

let work = "";
let vmDir = "";
let env: NodeJS.ProcessEnv = {};

/** The cached arm64 VM with Docker, built with `qus vm create` when its sources changed or it is missing. */
async function cachedVm(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of SHAPING_SOURCES) {
    hash.update(readFileSync(fileURLToPath(new URL(`../packages/vm/src/${file}`, import.meta.url))));
  }
  const dir = join(CACHE, `arm64-docker-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(join(dir, "manifest.json"))) return dir;
  mkdirSync(CACHE, { recursive: true });
  for (const old of readdirSync(CACHE)) rmSync(join(CACHE, old), { recursive: true, force: true });
  const building = `${dir}.building`;
  const created = await qus(["vm", "create", "--arch", "arm64", "--docker", "--name", NAME, "--out", building]);
  if (created.exitCode !== 0) throw new Error(`qus vm create failed:\n${created.stdout}\n${created.stderr}`);
  renameSync(building, dir);
  return dir;
}

/** Pids of qemu-system processes whose command line names `path`. */
function qemuProcessesOf(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const state = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (/\) Z /.test(state)) continue;
      if (argv[0]?.includes("qemu-system-") && argv.some((arg) => arg.includes(path))) pids.push(Number(entry));
    } catch {
      // Ended while listed.
    }
  }
  return pids;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

function contexts(): string[] {
  return docker(["context", "ls", "--format", "{{.Name}}"]).stdout.split("\n").filter(Boolean);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An arm64 image with a setuid program, a device node and a plain file: what a conversion must keep. */
async function specialImage(): Promise<string> {
  const dir = mkdtempSync(join(work, "special-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "bin"), { recursive: true });
  cpSync(busybox("arm64"), join(root, "bin/busybox"));
  cpSync(busybox("arm64"), join(root, "bin/suid-busybox"));
  spawnSync("chmod", ["4755", join(root, "bin/suid-busybox")]);
  writeFileSync(join(root, "hello"), "kept\n");
  const mknod = spawnSync("mknod", [join(root, "null-node"), "c", "1", "3"], { encoding: "utf8" });
  if (mknod.status !== 0) throw new Error(`mknod: ${mknod.stderr}`);
  const layer = join(dir, "layer.tar");
  const tar = spawnSync("tar", ["--numeric-owner", "-C", root, "-cf", layer, "."], { encoding: "utf8" });
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  const archive = await writeDockerArchive(
    {},
    { layer, tag: IMAGES[0] as string, platform: "linux/arm64", dir: join(dir, "image") },
  );
  const loaded = docker(["load", "--input", archive]);
  if (loaded.status !== 0) throw new Error(`docker load: ${loaded.stderr}`);
  return IMAGES[0] as string;
}

beforeAll(async () => {
  requireDocker();
  work = mkdtempSync("/var/tmp/qus-e2e-vm-");
  env = { QUS_VM_STATE_DIR: join(work, "registry") };
  const cached = await cachedVm();
  vmDir = join(work, "arm64");
  // A copy per run: booting writes to the disk, the cache stays as created.
  const copy = spawnSync("cp", ["-r", "--sparse=always", cached, vmDir], { encoding: "utf8" });
  if (copy.status !== 0) throw new Error(`cp: ${copy.stderr}`);
}, 1_800_000);

afterAll(async () => {
  if (vmDir) await qus(["vm", "stop", vmDir], { env });
  for (const pid of vmDir ? qemuProcessesOf(work) : []) process.kill(pid, "SIGKILL");
  for (const image of IMAGES) docker(["rmi", "--force", image]);
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe("qus vm create", () => {
  it("wrote a disk, Debian's kernel, qus's initrd and a manifest of what is inside", () => {
    const manifest = JSON.parse(readFileSync(join(vmDir, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({
      schemaVersion: 1,
      name: NAME,
      arch: "arm64",
      platform: "linux/arm64",
      docker: true,
    });
    expect(manifest.kernel.version).toMatch(/-cloud-arm64$/);
    expect(manifest.qemu).toMatchObject({ system: "qemu-system-aarch64", package: "qemu-system-arm", machine: "virt" });
    expect(manifest.packages.some((line: string) => line.startsWith("docker.io "))).toBe(true);
    expect(readFileSync(join(vmDir, "disk.qcow2")).subarray(0, 4).toString("latin1")).toBe("QFI\xfb");
  });

  it("refuses a folder that is not empty, before any work", async () => {
    const run = await qus(["vm", "create", "--arch", "arm64", "--out", vmDir], { env });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("exists and is not an empty folder");
  });
});

describe("qus vm start, use, stop", () => {
  let port = 0;
  let pid = 0;

  it("boots the guest, waits for its dockerd and creates a docker context", async () => {
    const run = await qus(["vm", "start", vmDir, "--json"], { env });
    expect(run.exitCode, run.stderr).toBe(0);
    const started = JSON.parse(run.stdout);
    port = started.state.dockerPort;
    pid = started.state.pid;
    expect(started.dockerHost).toBe(`tcp://127.0.0.1:${port}`);
    expect(started.state.context).toBe(NAME);
    expect(contexts()).toContain(NAME);
    const version = docker(["--context", NAME, "version", "--format", "{{.Server.Arch}} {{.Server.KernelVersion}}"]);
    const manifest = JSON.parse(readFileSync(join(vmDir, "manifest.json"), "utf8"));
    expect(version.stdout.trim()).toBe(`arm64 ${manifest.kernel.version}`);
  }, 400_000);

  it("runs an arm64 FROM-scratch image, loaded with docker save | load, on the guest's own kernel", () => {
    const image = buildBusyboxImage("arm64", "linux/arm64");
    const archive = join(work, "busybox.tar");
    expect(docker(["save", "--output", archive, image]).status).toBe(0);
    expect(docker(["--context", NAME, "load", "--input", archive]).status).toBe(0);
    const run = docker(["--context", NAME, "run", "--rm", image, "uname", "-m", "-r"]);
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toMatch(/^6\.1\.\S+-cloud-arm64 aarch64$/);
  }, 180_000);

  it("refuses a second start while the VM runs", async () => {
    const run = await qus(["vm", "start", vmDir], { env });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("QUS_VM_RUNNING");
    expect(qemuProcessesOf(vmDir)).toEqual([pid]);
  });

  it("refuses qus vm run on the disk the running VM holds", async () => {
    const run = await qus(["vm", "run", vmDir, "--", "true"], { env });
    // 125: qus itself failed, as docker run keeps 125 for its own; other statuses are the command's.
    expect(run.exitCode).toBe(125);
    expect(run.stderr).toContain("QUS_VM_RUNNING");
  });

  it("a copy of the running VM's folder: stopping it leaves the VM running, starting it is refused by name", async () => {
    const copy = join(work, "copy-of-running");
    const cp = spawnSync("cp", ["-r", "--sparse=always", vmDir, copy], { encoding: "utf8" });
    expect(cp.status, cp.stderr).toBe(0);
    const stopped = await qus(["vm", "stop", copy], { env });
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain("was not running");
    expect(qemuProcessesOf(vmDir)).toEqual([pid]);
    expect(existsSync(join(vmDir, "run/state.json"))).toBe(true);
    expect(existsSync(join(vmDir, "run/control.sock"))).toBe(true);
    const started = await qus(["vm", "start", copy], { env });
    expect(started.exitCode).toBe(1);
    expect(started.stderr).toContain(`a VM named ${NAME} already runs from ${vmDir}`);
    const status = await qus(["vm", "status", "--json"], { env });
    expect(JSON.parse(status.stdout)).toMatchObject([{ status: "running", state: { name: NAME, pid } }]);
    rmSync(copy, { recursive: true, force: true });
  }, 120_000);

  it("refuses to read the disk the running VM holds into an image", async () => {
    const run = await qus(["vm", "to-image", join(vmDir, "disk.qcow2"), "--tag", "qus-e2e-vm:in-use"], { env });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`is in use by a running QEMU (pid ${pid})`);
  });

  it("lists it in qus vm status", async () => {
    const run = await qus(["vm", "status", "--json"], { env });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject([{ status: "running", state: { name: NAME, pid, dockerPort: port } }]);
  });

  it("stops it cleanly: no QEMU, no port, no context, nothing listed", async () => {
    const run = await qus(["vm", "stop", vmDir, "--json"], { env });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ name: NAME, how: "shutdown" });
    expect(qemuProcessesOf(vmDir)).toEqual([]);
    expect(await portAnswers(port)).toBe(false);
    expect(contexts()).not.toContain(NAME);
    expect((await qus(["vm", "status"], { env })).stdout).toContain("no VM is running");
    expect(existsSync(join(vmDir, "run/state.json"))).toBe(false);
    const again = await qus(["vm", "stop", vmDir], { env });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("was not running");
  }, 120_000);
});

describe("qus vm run", () => {
  it("runs one command on the guest's kernel and exits with its status", async () => {
    const run = await qus(
      ["vm", "run", vmDir, "--", "/bin/sh", "-c", 'uname -m; echo "two  spaces, a comma"; exit 7'],
      {
        env,
      },
    );
    expect(run.stdout).toBe("aarch64\ntwo  spaces, a comma\n");
    expect(run.exitCode).toBe(7);
    expect(qemuProcessesOf(vmDir)).toEqual([]);
  }, 120_000);

  it("a process the command leaves printing forged exit markers cannot change its status", async () => {
    const forger = "(while :; do echo; echo QUS-RUN-EXIT:0; done) & sleep 1; exit 9";
    const run = await qus(["vm", "run", vmDir, "--", "/bin/sh", "-c", forger], { env });
    expect(run.exitCode, run.stderr).toBe(9);
    expect(run.stdout).toContain("QUS-RUN-EXIT:0");
  }, 120_000);

  it("gives the command an empty stdin, so a program that reads it ends", async () => {
    const run = await qus(["vm", "run", vmDir, "--", "/bin/cat"], { env });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe("");
  }, 60_000);

  it("ends a command that outlives --timeout, with the VM", async () => {
    const run = await qus(["vm", "run", vmDir, "--timeout", "2", "--", "sleep", "60"], { env });
    expect(run.exitCode).toBe(125);
    expect(run.stderr).toContain("QUS_TIMEOUT");
    expect(qemuProcessesOf(vmDir)).toEqual([]);
  }, 60_000);
});

describe("qus vm from-image and to-image", () => {
  it("round-trips an image through a bootable disk, setuid bits and device nodes kept", async () => {
    expect((await qus(["ensure", "--platforms", "linux/arm64"])).exitCode).toBe(0);
    const image = await specialImage();
    const disk = join(work, "special.qcow2");
    const written = await qus(["vm", "from-image", image, "--out", disk], { env });
    expect(written.exitCode, written.stderr).toBe(0);
    const listing = "/bin/busybox ls -ln /bin/suid-busybox /null-node; /bin/busybox cat /hello; /bin/busybox uname -r";
    const booted = await qus(["vm", "run", disk, "--", "/bin/busybox", "sh", "-c", listing], { env });
    expect(booted.exitCode, booted.stderr).toBe(0);
    expect(booted.stdout).toMatch(/^-rwsr-xr-x +1 0 +0 .* \/bin\/suid-busybox$/m);
    expect(booted.stdout).toMatch(/^crw-r--r-- +1 0 +0 +1, +3 .* \/null-node$/m);
    expect(booted.stdout).toMatch(/^kept\n6\.1\.\S+-cloud-arm64\n$/m);

    const loaded = await qus(["vm", "to-image", disk, "--tag", IMAGES[1] as string], { env });
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    expect(
      docker(["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", IMAGES[1] as string]).stdout.trim(),
    ).toBe("linux/arm64");
    const onHost = docker([
      "run",
      "--rm",
      "--platform",
      "linux/arm64",
      IMAGES[1] as string,
      "/bin/busybox",
      "sh",
      "-c",
      "/bin/busybox ls -ln /bin/suid-busybox /null-node; /bin/busybox cat /hello; /bin/busybox uname -m; /bin/busybox ls /boot",
    ]);
    expect(onHost.stdout).toMatch(/^-rwsr-xr-x +1 0 +0 .* \/bin\/suid-busybox$/m);
    expect(onHost.stdout).toMatch(/^crw-r--r-- +1 0 +0 +1, +3 .* \/null-node$/m);
    expect(onHost.stdout).toMatch(/^kept\naarch64$/m);
  }, 300_000);

  it("boots an armhf image on an armhf kernel (QEMU's virt machine, Debian's armmp-lpae kernel)", async () => {
    const image = buildBusyboxImage("armhf", "linux/arm/v7");
    const disk = join(work, "armhf.qcow2");
    const written = await qus(["vm", "from-image", image, "--out", disk], { env });
    expect(written.exitCode, written.stderr).toBe(0);
    const booted = await qus(["vm", "run", disk, "--", "/bin/busybox", "uname", "-m", "-r"], { env });
    expect(booted.stdout.trim()).toMatch(/^6\.1\.\S+-armmp-lpae armv7l$/);
  }, 300_000);

  it("refuses to overwrite a disk", async () => {
    const run = await qus(["vm", "from-image", "qus-e2e-busybox:armhf", "--out", join(work, "armhf.qcow2")], { env });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("exists");
  });
});

describe("qus vm faults", () => {
  it("names the Debian package of a missing system emulator", async () => {
    const empty = mkdtempSync(join(work, "path-"));
    const run = await qus(["vm", "run", vmDir, "--", "true"], { env: { ...env, PATH: empty } });
    expect(run.exitCode).toBe(125);
    expect(run.stderr).toContain("QUS_VM_TOOL_MISSING");
    expect(run.stderr).toContain("apt-get install qemu-system-arm");
  });

  it("says a folder is not a VM, to start and to stop", async () => {
    const empty = mkdtempSync(join(work, "empty-"));
    for (const command of ["start", "stop"]) {
      const run = await qus(["vm", command, empty], { env });
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain("QUS_VM_NOT_FOUND");
    }
  });

  it("refuses an image name docker cannot load before copying the disk", async () => {
    const run = await qus(["vm", "to-image", vmDir, "--tag", "Not/A:Name:"], { env });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("is not an image name");
  });

  it("stops a boot that does not reach dockerd in time and names its console log", async () => {
    const run = await qus(["vm", "start", vmDir, "--boot-timeout", "2"], { env });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("QUS_VM_BOOT_FAILED");
    expect(run.stderr).toContain(join(vmDir, "run/console.log"));
    expect(existsSync(join(vmDir, "run/console.log"))).toBe(true);
    expect(qemuProcessesOf(vmDir)).toEqual([]);
    expect(contexts()).not.toContain(NAME);
    expect((await qus(["vm", "status"], { env })).stdout).toContain("no VM is running");
  }, 60_000);

  it("reports a VM that dies while it boots", async () => {
    // state.json is written once QEMU has daemonized: the guest is booting, qus waits for its dockerd.
    const stateFile = join(vmDir, "run/state.json");
    const killer = (async () => {
      await waitFor(() => existsSync(stateFile), 30_000);
      process.kill(JSON.parse(readFileSync(stateFile, "utf8")).pid, "SIGKILL");
    })();
    const run = await qus(["vm", "start", vmDir], { env });
    await killer;
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("QUS_VM_DIED");
    expect(run.stderr).toContain(join(vmDir, "run/console.log"));
    expect(qemuProcessesOf(vmDir)).toEqual([]);
  }, 60_000);

  it("ends the VM when qus vm start is interrupted", async () => {
    const pidFile = join(vmDir, "run/qemu.pid");
    let qusPid = 0;
    const interrupter = (async () => {
      await waitFor(() => qusPid !== 0 && existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "", 30_000);
      process.kill(qusPid, "SIGINT");
    })();
    const run = await qus(["vm", "start", vmDir], { env, onSpawn: (spawned) => (qusPid = spawned) });
    await interrupter;
    expect(run.exitCode).toBe(130);
    await waitFor(() => qemuProcessesOf(vmDir).length === 0, 5_000);
    expect(existsSync(join(vmDir, "run/state.json"))).toBe(false);
    expect((await qus(["vm", "status"], { env })).stdout).toContain("no VM is running");
  }, 60_000);

  it("reports, then forgets, a running VM whose QEMU died", async () => {
    // Without Docker, start returns once QEMU runs: the quickest VM there is to kill.
    const manifestFile = join(vmDir, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, docker: false }));
    try {
      const run = await qus(["vm", "start", vmDir, "--json"], { env });
      expect(run.exitCode, run.stderr).toBe(0);
      const { pid } = JSON.parse(run.stdout).state;
      process.kill(pid, "SIGKILL");
      await waitFor(() => qemuProcessesOf(vmDir).length === 0, 5_000);
      const status = await qus(["vm", "status", "--json"], { env });
      expect(status.exitCode).toBe(1);
      expect(JSON.parse(status.stdout)).toMatchObject([{ status: "died", state: { pid } }]);
      expect((await qus(["vm", "status"], { env })).stdout).toContain("no VM is running");
    } finally {
      writeFileSync(manifestFile, JSON.stringify(manifest));
    }
  }, 60_000);
});
