import { chownSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { docker, helperContainers, requireDocker } from "./support/docker.js";
import { busybox, qus, qusJson, runProgram, useCleanQemuTable } from "./support/kernel.js";

// Real fetches of QEMU from Debian's archive (bookworm: 7.2, trixie: 10.x), registered on this machine's kernel and
// proven with Debian's own busybox. The cache folder is kept between runs (node_modules/.cache), so only the first
// run downloads. The table's qemu-* entries are put back when the file is done.
useCleanQemuTable();

const CACHE = fileURLToPath(new URL("../node_modules/.cache/qus-qemu", import.meta.url));
const env = { QUS_QEMU_CACHE: CACHE };
const TWO = "linux/arm64,linux/riscv64";
const version = (line: string | undefined) => /version (\S+)/.exec(line ?? "")?.[1] ?? "";

interface FetchJson {
  folder: string;
  source: string;
  package: string;
  packageVersion: string;
  qemuVersion: string;
  emulators: string[];
  verifiedBy: string;
  cached: boolean;
}

async function fetchJson(suite: string, extraEnv: NodeJS.ProcessEnv = env, uid?: number) {
  const run = await qus(["qemu", "fetch", "--from", `debian:${suite}`, "--json"], { env: extraEnv, uid });
  expect(run.exitCode, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as FetchJson;
}

describe("QEMU versions from Debian's archive", () => {
  it("fetches bookworm's (7.2) and trixie's (10.x) emulators, verified, into folders named by version", async () => {
    const bookworm = await fetchJson("bookworm");
    expect(bookworm).toMatchObject({ source: "debian:bookworm", package: "qemu-user-static" });
    expect(version(bookworm.qemuVersion)).toMatch(/^7\.2\./);
    // trixie's qemu-user-static is transitional: the static emulators are in qemu-user, and the files decide.
    const trixie = await fetchJson("trixie");
    expect(trixie).toMatchObject({ source: "debian:trixie", package: "qemu-user" });
    expect(version(trixie.qemuVersion)).toMatch(/^10\./);
    for (const result of [bookworm, trixie]) {
      expect(result.folder).toBe(`${CACHE}/${result.packageVersion.replace(/^\d+:/, "")}`);
      expect(result.emulators).toEqual(expect.arrayContaining(["qemu-aarch64-static", "qemu-riscv64-static"]));
      if (existsSync("/usr/share/keyrings/debian-archive-keyring.gpg")) expect(result.verifiedBy).toBe("gpgv");
    }
    // The same fetch again is a cache hit (no network), and list shows both.
    expect(await fetchJson("trixie")).toMatchObject({ folder: trixie.folder, cached: true });
    const list = await qus(["qemu", "list", "--json"], { env });
    const cached = (JSON.parse(list.stdout) as { cached: FetchJson[] }).cached.map((entry) => entry.source);
    expect(cached).toEqual(expect.arrayContaining(["debian:bookworm", "debian:trixie"]));
  });

  it("pins arm64 and riscv64 to trixie's QEMU with one command, proven by Debian's busybox; --replace goes back", async () => {
    const pinned = await qusJson(["ensure", "--qemu-from", "debian:trixie", "--platforms", TWO], env);
    expect(pinned.run.exitCode, pinned.run.stderr).toBe(0);
    expect(pinned.report.platforms.map((p) => [p.platform, p.action, p.verified, p.flags])).toEqual([
      ["linux/arm64", "register", true, "OCF"],
      ["linux/riscv64", "register", true, "OCF"],
    ]);
    for (const platform of pinned.report.platforms) {
      expect(version(platform.qemuVersion)).toMatch(/^10\./);
      expect(platform.interpreter?.startsWith(`${CACHE}/`)).toBe(true);
    }
    expect(pinned.report.driverDetails).toMatchObject({ qemuSource: "debian:trixie" });
    expect(pinned.report.warnings.join("\n")).toMatch(/keep working if that folder is cleaned/);
    expect(runProgram(busybox("arm64"), ["uname", "-m"])).toMatchObject({ status: 0, stdout: "aarch64" });
    expect(runProgram(busybox("riscv64"), ["uname", "-m"])).toMatchObject({ status: 0, stdout: "riscv64" });

    // Back to the machine's QEMU: a conflict without --replace, a replace with it.
    const conflict = await qusJson(["ensure", "--platforms", TWO]);
    expect(conflict.run.exitCode).toBe(1);
    expect(conflict.report.platforms.map((p) => p.action)).toEqual(["conflict", "conflict"]);
    const back = await qusJson(["ensure", "--replace", "--platforms", TWO]);
    expect(back.run.exitCode, back.run.stderr).toBe(0);
    expect(back.report.platforms.map((p) => [p.action, p.verified, version(p.qemuVersion)])).toEqual([
      ["replace", true, expect.stringMatching(/^7\.2\./)],
      ["replace", true, expect.stringMatching(/^7\.2\./)],
    ]);
    expect(runProgram(busybox("riscv64"), ["uname", "-m"]).stdout).toBe("riscv64");
    expect((await qus(["remove", "--platforms", TWO])).exitCode).toBe(0);
  });

  it("switching back to trixie is a conflict without --replace and a replace with it", async () => {
    expect((await qus(["ensure", "--platforms", TWO])).exitCode).toBe(0);
    const conflict = await qusJson(["ensure", "--qemu-from", "debian:trixie", "--platforms", "linux/arm64"], env);
    expect(conflict.run.exitCode).toBe(1);
    expect(conflict.report.platforms[0]?.action).toBe("conflict");
    const replaced = await qusJson(
      ["ensure", "--replace", "--qemu-from", "debian:trixie", "--platforms", "linux/arm64"],
      env,
    );
    expect(replaced.report.platforms[0]).toMatchObject({ action: "replace", verified: true });
    expect(version(replaced.report.platforms[0]?.qemuVersion)).toMatch(/^10\./);
    expect((await qus(["remove", "--platforms", TWO])).exitCode).toBe(0);
  });

  it("a suite that does not exist, or an unknown source, is a clear error (exit 2) and registers nothing", async () => {
    const missing = await qus(["ensure", "--qemu-from", "debian:nosuchsuite", "--platforms", TWO], { env });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/QUS_QEMU_SOURCE_UNKNOWN: Debian's archive at \S+ has no suite "nosuchsuite"/);
    expect(missing.stderr).toMatch(/hint: .*debian:trixie/);
    const fedora = await qus(["qemu", "fetch", "--from", "fedora:41"], { env });
    expect(fedora.exitCode).toBe(2);
    expect((await qus(["status", "--platforms", TWO, "--json"])).stdout).toMatch(/"before": "absent"/);
  });

  describe("a user who is not root", () => {
    const HOME = "/var/cache/qus-e2e-nobody";
    afterAll(() => rmSync(`${HOME}/readonly`, { recursive: true, force: true }));

    it("fetches into their own cache folder ($XDG_CACHE_HOME/qus/qemu), and a folder they cannot write is exit 3", async () => {
      mkdirSync(HOME, { recursive: true });
      chownSync(HOME, 65534, 65534);
      const userEnv = { QUS_QEMU_CACHE: "", HOME, XDG_CACHE_HOME: HOME };
      const result = await fetchJson("trixie", userEnv, 65534);
      expect(result.folder.startsWith(`${HOME}/qus/qemu/`)).toBe(true);
      expect(version(result.qemuVersion)).toMatch(/^10\./);
      mkdirSync(`${HOME}/readonly`, { recursive: true, mode: 0o755 });
      const denied = await qus(["qemu", "fetch", "--from", "debian:trixie", "--refresh"], {
        env: { ...userEnv, QUS_QEMU_CACHE: `${HOME}/readonly/qemu` },
        uid: 65534,
      });
      expect(denied.exitCode).toBe(3);
      expect(denied.stderr).toMatch(/QUS_QEMU_CACHE_UNWRITABLE: cannot write the QEMU cache folder/);
    });
  });

  describe("the installer image behind a Docker engine (needs a Docker engine)", () => {
    const TAG = "qus-binfmt:e2e-qemu-trixie";
    let tags: string[] = [];
    afterAll(() => {
      for (const tag of tags) docker(["image", "rm", tag]);
    });

    it("image build --qemu-from debian:trixie labels the image with 10.x, and ensure --driver docker reports it", async () => {
      requireDocker();
      const build = await qus(["image", "build", "--qemu-from", "debian:trixie", "--tag", TAG, "--json"], { env });
      expect(build.exitCode, build.stderr).toBe(0);
      const built = JSON.parse(build.stdout) as { tags: string[]; qemuVersion: string; qemuSource: string };
      // Only tags no other image held before are removed afterwards.
      tags = built.tags.filter((tag) => tag === TAG || tag.startsWith("qus-binfmt:qemu-10."));
      expect(built.qemuSource).toBe("debian:trixie");
      expect(version(built.qemuVersion)).toMatch(/^10\./);
      const labels = docker(["image", "inspect", "--format", "{{json .Config.Labels}}", TAG]);
      expect(JSON.parse(labels.stdout)).toMatchObject({ "org.qus.qemu.source": "debian:trixie" });

      const { run, report } = await qusJson(["ensure", "--driver", "docker", "--image", TAG, "--platforms", TWO]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(report.platforms.map((p) => [p.action, p.verified])).toEqual([
        ["register", true],
        ["register", true],
      ]);
      expect(version(report.driverDetails?.qemuVersion)).toMatch(/^10\./);
      for (const platform of report.platforms) expect(version(platform.qemuVersion)).toMatch(/^10\./);
      expect(runProgram(busybox("arm64"), ["uname", "-m"]).stdout).toBe("aarch64");
      expect((await qus(["remove", "--driver", "docker", "--image", TAG, "--platforms", TWO])).exitCode).toBe(0);
      expect(helperContainers()).toEqual([]);
    });
  });
});
