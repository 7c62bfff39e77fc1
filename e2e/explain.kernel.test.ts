import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, loadImage, requireDocker, requireQusImage } from "./support/docker.js";
import { busybox, entryNames, qus, registerRaw, removeRaw, runProgram, useCleanQemuTable } from "./support/kernel.js";

// Real kernel, real QEMU, programs no one here wrote (Debian's busybox-static and hello): qus explain says what
// each is, whether it runs, and the fix; the tests run the fix and check that the program then really runs.
useCleanQemuTable();

const HELLO_DIR = fileURLToPath(new URL("../tools/fixtures/.cache/hello", import.meta.url));
const TEST_ENTRY = "qus-test-explain-s390x";
const S390X_MAGIC = "\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x16";
const S390X_MASK =
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff";

const LIBC_DIR = fileURLToPath(new URL("../tools/fixtures/.cache/libc6", import.meta.url));

/** A file of Debian's libc6 for an architecture, extracted by tools/fixtures/fetch-programs.sh. */
function libc(debianArch: string, path: string): string {
  const file = `${LIBC_DIR}/${debianArch}/${path}`;
  if (!existsSync(file)) throw new Error(`${file} is missing: run tools/fixtures/fetch-programs.sh`);
  return file;
}

/** Debian's `hello` (dynamically linked) for an architecture (fetched by tools/fixtures/fetch-programs.sh). */
function hello(debianArch: string): string {
  const path = `${HELLO_DIR}/${debianArch}/hello`;
  if (!existsSync(path)) throw new Error(`${path} is missing: run tools/fixtures/fetch-programs.sh`);
  return path;
}

interface Verdict {
  runs: "yes" | "no" | "depends";
  reason?: string;
  fix?: string;
}
interface JsonFile {
  path: string;
  platform?: string;
  elf?: { bits: number; endianness: string; machineName: string; abi: string[]; linkage: string; interpreter?: string };
  handler?: { kind: string; entries: { name: string; flags: string }[]; probe?: { ok: boolean } };
  here?: Verdict;
  chroot?: Verdict;
  container?: Verdict;
  ok?: boolean;
  error?: { code: string; message: string };
}
interface JsonExplanation {
  schemaVersion: number;
  driver: string;
  ok: boolean;
  image?: { ref: string; platform: string; entrypoint: string[] };
  files: JsonFile[];
}

async function explain(args: readonly string[]) {
  const run = await qus(["explain", ...args, "--json"]);
  let json: JsonExplanation;
  try {
    json = JSON.parse(run.stdout) as JsonExplanation;
  } catch {
    throw new Error(
      `qus explain ${args.join(" ")} printed no JSON (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`,
    );
  }
  return { run, json, file: json.files[0] as JsonFile };
}

/** Runs a fix qus printed (`qus ensure ...`): the words after `qus`. */
async function runFix(fix: string | undefined) {
  expect(fix).toMatch(/^qus ensure /);
  const run = await qus((fix ?? "").split(" ").slice(1));
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
}

let work = "";
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "qus-e2e-explain-"));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removeRaw(TEST_ENTRY);
});

describe("qus explain on this machine's kernel", () => {
  it("a foreign static busybox with no entry: exit 1, exec format error; the printed fix makes it run", async () => {
    const program = busybox("riscv64");
    const before = await explain([program]);
    expect(before.run.exitCode).toBe(1);
    expect(before.file).toMatchObject({
      platform: "linux/riscv64",
      elf: { bits: 64, endianness: "little", machineName: "RISC-V", linkage: "static" },
      handler: { kind: "none" },
      here: { runs: "no", fix: "qus ensure --platforms linux/riscv64" },
    });
    expect(before.file.here?.reason).toMatch(/^exec format error: no binfmt_misc entry claims linux\/riscv64/);
    expect(runProgram(program, ["true"]).status).not.toBe(0);

    await runFix(before.file.here?.fix);
    const after = await explain([program]);
    expect(after.run.exitCode).toBe(0);
    expect(after.file).toMatchObject({
      handler: { kind: "binfmt", entries: [{ name: "qemu-riscv64" }], probe: { ok: true } },
      here: { runs: "yes" },
      chroot: { runs: "yes" },
      container: { runs: "yes" },
      ok: true,
    });
    expect(runProgram(program, ["uname", "-m"])).toMatchObject({ status: 0, stdout: "riscv64" });
  });

  it("the text output names the architecture, the handler and the fix", async () => {
    const run = await qus(["explain", busybox("armhf")]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain("ARM, 32-bit little-endian, EABI5, hard-float (linux/arm/v7)");
    expect(run.stdout).toContain("does not run: exec format error");
    expect(run.stdout).toContain("fix: qus ensure --platforms linux/arm/v7");
    expect(run.stdout).toContain("explain: 0 of 1 file runs here");
  });

  it("a dynamic foreign program whose loader is not here: no such file or directory, it needs its libraries", async () => {
    expect((await qus(["ensure", "--platforms", "linux/arm64"])).exitCode).toBe(0);
    const program = hello("arm64");
    const { run, file } = await explain([program]);
    expect(run.exitCode).toBe(1);
    expect(file).toMatchObject({
      elf: { linkage: "dynamic", interpreter: "/lib/ld-linux-aarch64.so.1" },
      handler: { kind: "binfmt", probe: { ok: true } },
      here: {
        runs: "no",
        reason: "no such file or directory: its loader /lib/ld-linux-aarch64.so.1 is not on this machine",
      },
      chroot: { runs: "depends" },
    });
    expect(file.here?.fix).toContain("this needs its libraries");
    // It really fails that way.
    const real = runProgram(program, []);
    expect(real.status).not.toBe(0);
    expect(real.stderr).toMatch(/No such file or directory/);
  });

  it("an entry without F: runs here, not in a chroot or container; --replace fixes it, and it runs chrooted", async () => {
    registerRaw(`:${TEST_ENTRY}:M::${S390X_MAGIC}:${S390X_MASK}:/usr/bin/qemu-s390x-static:`);
    try {
      const program = busybox("s390x");
      const before = await explain([program]);
      expect(before.run.exitCode).toBe(0);
      expect(before.file).toMatchObject({
        handler: { kind: "binfmt", entries: [{ name: TEST_ENTRY, flags: "" }], probe: { ok: false } },
        here: { runs: "yes" },
        chroot: { runs: "no", fix: "qus ensure --replace --platforms linux/s390x" },
        container: { runs: "no" },
      });
      expect(before.file.chroot?.reason).toContain(`no such file or directory: ${TEST_ENTRY} has no F flag`);
      const root = join(work, "root");
      spawnSync("mkdir", ["-p", root]);
      copyFileSync(program, join(root, "busybox"));
      expect(spawnSync("chroot", [root, "/busybox", "true"]).status).not.toBe(0);

      await runFix(before.file.chroot?.fix);
      expect(entryNames()).not.toContain(TEST_ENTRY);
      const after = await explain([program]);
      expect(after.file).toMatchObject({ chroot: { runs: "yes" }, container: { runs: "yes" }, ok: true });
      expect(spawnSync("chroot", [root, "/busybox", "true"]).status).toBe(0);
    } finally {
      removeRaw(TEST_ENTRY);
    }
  });

  it("the host's own /bin/ls runs natively", async () => {
    const { run, file, json } = await explain(["/bin/ls"]);
    expect(run.exitCode).toBe(0);
    expect(json.ok).toBe(true);
    expect(file).toMatchObject({ handler: { kind: "native" }, here: { runs: "yes" }, elf: { linkage: "dynamic" } });
  });

  it("a folder, a missing path, a text file and a truncated ELF: exit 2, each named with its error", async () => {
    const text = join(work, "notes.txt");
    writeFileSync(text, "hello\n");
    const truncated = join(work, "truncated");
    writeFileSync(truncated, readFileSync(busybox("arm64")).subarray(0, 40));
    const missing = join(work, "missing");
    const { run, json } = await explain([work, missing, text, truncated]);
    expect(run.exitCode).toBe(2);
    expect(json.files.map((file) => [file.path, file.error?.code])).toEqual([
      [work, "QUS_FILE_UNREADABLE"],
      [missing, "QUS_FILE_UNREADABLE"],
      [text, "QUS_NOT_ELF"],
      [truncated, "QUS_ELF_TRUNCATED"],
    ]);
    for (const file of json.files) expect(file.error?.message.startsWith(`${file.path}: `)).toBe(true);
    const plain = await qus(["explain", truncated]);
    expect(plain.exitCode).toBe(2);
    expect(plain.stdout).toContain(`error QUS_ELF_TRUNCATED: ${truncated}: truncated ELF file`);
  });

  it("--json has the stable shape", async () => {
    const { json } = await explain(["/bin/ls"]);
    expect(Object.keys(json).sort()).toEqual(["driver", "files", "kernel", "ok", "schemaVersion", "warnings"]);
    expect(json).toMatchObject({ schemaVersion: 1, driver: "local" });
    expect(Object.keys(json.files[0] ?? {}).sort()).toEqual(
      ["chroot", "container", "cpu", "elf", "handler", "here", "ok", "path", "platform"].sort(),
    );
  });

  it("usage errors exit 2", async () => {
    expect((await qus(["explain"])).exitCode).toBe(2);
    expect((await qus(["explain", "/bin/ls", "--platform", "linux/arm64"])).exitCode).toBe(2);
  });
});

describe("qus explain --image on the Docker engine", () => {
  const STATIC_IMAGE = "qus-e2e-explain:static-arm64";
  const DYNAMIC_IMAGE = "qus-e2e-explain:dynamic-arm64";
  const LIBC_IMAGE = "qus-e2e-explain:dynamic-libc-arm64";
  beforeAll(async () => {
    requireDocker();
    await requireQusImage();
    // Bare name: found through the image's PATH, as the engine would.
    loadImage(STATIC_IMAGE, {
      platform: "linux/arm64",
      files: [{ path: "bin/busybox", source: busybox("arm64") }],
      entrypoint: ["busybox"],
    });
    loadImage(DYNAMIC_IMAGE, {
      platform: "linux/arm64",
      files: [{ path: "usr/bin/hello", source: hello("arm64") }],
      entrypoint: ["/usr/bin/hello"],
    });
    // The fix for the image above: its loader and C library in the image (Debian's libc6 for arm64).
    loadImage(LIBC_IMAGE, {
      platform: "linux/arm64",
      files: [
        { path: "usr/bin/hello", source: hello("arm64") },
        { path: "lib/ld-linux-aarch64.so.1", source: libc("arm64", "lib/ld-linux-aarch64.so.1") },
        {
          path: "lib/aarch64-linux-gnu/libc.so.6",
          source: libc("arm64", "lib/aarch64-linux-gnu/libc.so.6"),
        },
      ],
      entrypoint: ["/usr/bin/hello"],
    });
  }, 600_000);
  afterAll(() => {
    docker(["image", "rm", "--force", STATIC_IMAGE, DYNAMIC_IMAGE, LIBC_IMAGE]);
  });

  const leftovers = () =>
    docker(["ps", "--all", "--filter", "name=qus-explain-", "--format", "{{.Names}}"]).stdout.trim();

  it("a foreign static entrypoint: no entry → exit 1 with the engine's fix; after it, it runs in a container", async () => {
    const before = await explain(["--image", STATIC_IMAGE]);
    expect(before.run.exitCode, before.run.stderr).toBe(1);
    expect(before.json.image).toMatchObject({ ref: STATIC_IMAGE, platform: "linux/arm64", entrypoint: ["busybox"] });
    expect(before.file).toMatchObject({
      path: "busybox",
      platform: "linux/arm64",
      container: { runs: "no", fix: "qus ensure --driver docker --platforms linux/arm64" },
    });
    expect(before.file.here).toBeUndefined();
    await runFix(before.file.container?.fix);
    const after = await explain(["--image", STATIC_IMAGE, "--platform", "linux/arm64"]);
    expect(after.run.exitCode).toBe(0);
    expect(after.file).toMatchObject({ container: { runs: "yes" }, ok: true });
    const real = docker(["run", "--rm", STATIC_IMAGE, "uname", "-m"]);
    expect(real.stdout.trim()).toBe("aarch64");
    expect(leftovers()).toBe("");
  });

  it("a dynamic entrypoint whose loader is not in the image: it needs its libraries in the image", async () => {
    expect((await qus(["ensure", "--platforms", "linux/arm64"])).exitCode).toBe(0);
    const { run, file } = await explain(["--image", DYNAMIC_IMAGE]);
    expect(run.exitCode).toBe(1);
    expect(file.container).toMatchObject({
      runs: "no",
      reason: `no such file or directory: its loader /lib/ld-linux-aarch64.so.1 is not in the image ${DYNAMIC_IMAGE}`,
    });
    expect(file.container?.fix).toContain("this needs its libraries in the image");
    expect(leftovers()).toBe("");
  });

  it("with its loader and libraries in the image, the dynamic program runs in a container, and really does", async () => {
    expect((await qus(["ensure", "--platforms", "linux/arm64"])).exitCode).toBe(0);
    const { run, file } = await explain(["--image", LIBC_IMAGE]);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(file).toMatchObject({
      elf: { linkage: "dynamic", interpreter: "/lib/ld-linux-aarch64.so.1" },
      container: { runs: "yes" },
      ok: true,
    });
    const real = docker(["run", "--rm", "--network", "none", LIBC_IMAGE]);
    expect(real.stdout.trim()).toBe("Hello, world!");
  });

  it("a path missing in the image exits 2; another platform than the image's exits 3", async () => {
    const missing = await explain(["--image", STATIC_IMAGE, "/no/such"]);
    expect(missing.run.exitCode).toBe(2);
    expect(missing.file.error).toMatchObject({ code: "QUS_FILE_UNREADABLE" });
    const other = await qus(["explain", "--image", STATIC_IMAGE, "--platform", "linux/s390x"]);
    expect(other.exitCode).toBe(3);
    expect(other.stderr).toContain("QUS_IMAGE_MISSING");
    expect(leftovers()).toBe("");
  });
});
