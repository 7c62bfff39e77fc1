import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDockerArchive } from "../packages/vm/src/docker-archive.js";
import { docker, requireDocker } from "./support/docker.js";
import { busybox, qus, useCleanQemuTable } from "./support/kernel.js";

// Hostile and odd disks and images given to `qus vm`: nothing of the host leaks into an image, an image's own files
// reach the disk as they are, and each refusal has its code and exit status.
useCleanQemuTable();

const IMAGES = ["qus-e2e-vm-own:1", "qus-e2e-vm-sparse:1"];
let work = "";
let env: NodeJS.ProcessEnv = {};

beforeAll(() => {
  requireDocker();
  work = mkdtempSync("/var/tmp/qus-e2e-vm-hardening-");
  env = { QUS_VM_STATE_DIR: join(work, "registry") };
});

const mounts: string[] = [];

afterAll(() => {
  for (const image of IMAGES) docker(["rmi", "--force", image]);
  for (const mount of mounts) spawnSync("umount", [mount]);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A TMPDIR of its own on a tmpfs of `size` (e.g. 400M), unmounted after the tests. */
function smallTmp(size: string): string {
  const dir = mkdtempSync(join(work, "small-tmp-"));
  run("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  mounts.push(dir);
  return dir;
}

function run(program: string, args: string[]): string {
  const result = spawnSync(program, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${program} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/**
 * An arm64 image of one layer made from `root` by GNU tar, loaded into the engine. Every byte written, holes too, as
 * docker build writes layers (the engine cannot save again an image whose layer had sparse members).
 */
async function imageOf(root: string, tag: string): Promise<string> {
  const dir = mkdtempSync(join(work, "image-"));
  const layer = join(dir, "layer.tar");
  run("tar", ["--numeric-owner", "-C", root, "-cf", layer, "."]);
  const archive = await writeDockerArchive({}, { layer, tag, platform: "linux/arm64", dir: join(dir, "out") });
  run("docker", ["load", "--input", archive]);
  rmSync(dir, { recursive: true, force: true });
  return tag;
}

/** A file of a qus disk, read with debugfs from a raw copy (no boot, no mount). */
function fileOnDisk(disk: string, path: string): string {
  const raw = join(work, `raw-${Date.now()}`);
  run("qemu-img", ["convert", "-f", "qcow2", "-O", "raw", disk, raw]);
  try {
    return spawnSync("debugfs", ["-R", `cat ${path}`, raw], { encoding: "utf8" }).stdout;
  } finally {
    rmSync(raw, { force: true });
  }
}

function statOnDisk(disk: string, path: string): string {
  const raw = join(work, `raw-${Date.now()}`);
  run("qemu-img", ["convert", "-f", "qcow2", "-O", "raw", disk, raw]);
  try {
    return spawnSync("debugfs", ["-R", `stat ${path}`, raw], { encoding: "utf8" }).stdout;
  } finally {
    rmSync(raw, { force: true });
  }
}

describe("disks qus refuses to read", () => {
  it("a qcow2 whose backing file is a host file: refused (exit 2), nothing of the file reaches an image", async () => {
    const secret = join(work, "secret.ext4");
    writeFileSync(secret, "host secret\n");
    const evil = join(work, "evil.qcow2");
    run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", evil]);
    for (const [args, exitCode] of [
      [["vm", "to-image", evil, "--tag", "qus-e2e-vm-leak:1", "--platform", "linux/arm64"], 2],
      // vm run keeps 125 for qus's own failures, every other status being the command's.
      [["vm", "run", evil, "--", "true"], 125],
    ] as const) {
      const refused = await qus(args, { env });
      expect(refused.exitCode, refused.stderr).toBe(exitCode);
      expect(refused.stderr).toContain("QUS_VM_DISK_REFUSED");
      expect(refused.stderr).toContain(`names a backing file (${secret})`);
    }
    expect(docker(["image", "inspect", "qus-e2e-vm-leak:1"]).status).not.toBe(0);
  });

  it("a qcow2 with an external data file, a device and a folder: refused, each named", async () => {
    const dataFile = join(work, "data.raw");
    writeFileSync(dataFile, "");
    const external = join(work, "external.qcow2");
    run("qemu-img", ["create", "-q", "-f", "qcow2", "-o", `data_file=${dataFile}`, external, "16M"]);
    const device = join(work, "device.qcow2");
    symlinkSync("/dev/zero", device);
    for (const [disk, words] of [
      [external, "names an external data file"],
      [device, "is not a regular file"],
    ] as const) {
      const refused = await qus(["vm", "to-image", disk, "--tag", "qus-e2e-vm-leak:2", "--platform", "linux/arm64"], {
        env,
      });
      expect(refused.exitCode, refused.stderr).toBe(2);
      expect(refused.stderr).toContain(words);
    }
  });

  it("a file that is not an ext4 disk: exit 2 saying so, not mount's words", async () => {
    const junk = join(work, "junk.img");
    writeFileSync(junk, Buffer.alloc(4 * 2 ** 20, 7));
    const refused = await qus(["vm", "to-image", junk, "--tag", "qus-e2e-vm-junk:1", "--platform", "linux/arm64"], {
      env,
    });
    expect(refused.exitCode, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`${junk} is not an ext4 disk`);
  });

  it("an image name that starts with a dash: bad input, before docker is asked", async () => {
    const refused = await qus(["vm", "from-image", "--out", join(work, "dash.qcow2"), "--", "--help=x"], { env });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('"--help=x" is not an image reference');
  });
});

describe("qus vm from-image writes the image's own files", () => {
  it("its /etc/hosts, /etc/hostname and /etc/resolv.conf link, and no /.dockerenv, byte for byte", async () => {
    expect((await qus(["ensure", "--platforms", "linux/arm64"])).exitCode).toBe(0);
    const root = join(work, "own-root");
    mkdirSync(join(root, "etc"), { recursive: true });
    mkdirSync(join(root, "bin"));
    cpSync(busybox("arm64"), join(root, "bin/busybox"));
    writeFileSync(join(root, "etc/hosts"), "127.0.0.1 the-image-own-hosts\n");
    writeFileSync(join(root, "etc/hostname"), "image-name\n");
    symlinkSync("../run/resolv.conf", join(root, "etc/resolv.conf"));
    const image = await imageOf(root, IMAGES[0] as string);
    const disk = join(work, "own.qcow2");
    const written = await qus(["vm", "from-image", image, "--out", disk], { env });
    expect(written.exitCode, written.stderr).toBe(0);
    expect(fileOnDisk(disk, "/etc/hosts")).toBe("127.0.0.1 the-image-own-hosts\n");
    expect(fileOnDisk(disk, "/etc/hostname")).toBe("image-name\n");
    expect(statOnDisk(disk, "/etc/resolv.conf")).toContain('Fast link dest: "../run/resolv.conf"');
    expect(statOnDisk(disk, "/.dockerenv")).toBe("");
    expect(statOnDisk(disk, "/etc/mtab")).toBe("");
  }, 600_000);

  it("a 1 GiB sparse file: kept sparse, through a TMPDIR far smaller than the file", async () => {
    const root = join(work, "sparse-root");
    mkdirSync(join(root, "bin"), { recursive: true });
    cpSync(busybox("arm64"), join(root, "bin/busybox"));
    run("truncate", ["-s", "1G", join(root, "big.img")]);
    writeFileSync(join(root, "tail"), "after the holes\n");
    const image = await imageOf(root, IMAGES[1] as string);
    const small = smallTmp("400M");
    const disk = join(work, "sparse.qcow2");
    const written = await qus(["vm", "from-image", image, "--out", disk], { env: { ...env, TMPDIR: small } });
    expect(written.exitCode, written.stderr).toBe(0);
    expect(statOnDisk(disk, "/big.img")).toMatch(/Size: 1073741824\b/);
    expect(fileOnDisk(disk, "/tail")).toBe("after the holes\n");
    expect(statSync(disk).blocks * 512).toBeLessThan(200 * 2 ** 20);
  }, 600_000);

  it("a TMPDIR too small for the image's data: QUS_NO_SPACE (exit 3) naming it, nothing left there", async () => {
    const root = join(work, "dense-root");
    mkdirSync(join(root, "bin"), { recursive: true });
    cpSync(busybox("arm64"), join(root, "bin/busybox"));
    writeFileSync(join(root, "dense.bin"), Buffer.alloc(500 * 2 ** 20, 1));
    const image = await imageOf(root, "qus-e2e-vm-dense:1");
    IMAGES.push(image);
    const small = smallTmp("400M");
    const failed = await qus(["vm", "from-image", image, "--out", join(work, "dense.qcow2")], {
      env: { ...env, TMPDIR: small },
    });
    expect(failed.exitCode, failed.stderr).toBe(3);
    expect(failed.stderr).toContain("QUS_NO_SPACE");
    expect(failed.stderr).toContain(small);
    expect(readFileSync("/proc/mounts", "utf8")).toContain(small);
    // Node keeps its compile cache in TMPDIR; nothing of qus's is left beside it.
    expect(spawnSync("ls", ["-A", small], { encoding: "utf8" }).stdout).not.toMatch(/qus/);
  }, 600_000);
});
