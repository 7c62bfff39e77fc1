import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { docker, requireDocker, requireQusImage } from "./support/docker.js";
import { entryNames, qus, registerRaw, removeRaw, useCleanQemuTable } from "./support/kernel.js";

// `qus buildx` against the engine's real BuildKit (docker driver; docker-container needs the moby/buildkit image,
// which cannot be pulled here). This engine keeps the classic image store, so its docker driver proves one platform
// per run; several go to a docker-container builder. Serial; the qemu-* entries are put back afterwards.
interface BuildxReport {
  ok: boolean;
  builder: string;
  driver: string;
  warnings: string[];
  binfmt: { platforms: { platform: string; action: string }[] };
  platforms: {
    platform: string;
    listed: boolean;
    native: boolean;
    proven: boolean;
    failure?: string;
    detail?: string;
    reason?: string;
    hint?: string;
    code?: string;
  }[];
}

async function buildx(
  args: readonly string[],
): Promise<{ exitCode: number | null; report: BuildxReport; stderr: string }> {
  const run = await qus(["buildx", ...args, "--json"]);
  try {
    return { exitCode: run.exitCode, report: JSON.parse(run.stdout) as BuildxReport, stderr: run.stderr };
  } catch {
    throw new Error(`qus buildx printed no JSON (exit ${run.exitCode}): ${run.stdout}\n${run.stderr}`);
  }
}

const FIVE = "linux/arm64,linux/riscv64,linux/s390x,linux/ppc64le,linux/arm/v7";
// What the README's examples build.
const TWO = "linux/amd64,linux/arm64";

/**
 * A user's small multi-platform Dockerfile: no base image (no registry here), each platform's `uname -m` run from a
 * static program of its own: busybox for arm64 (from the e2e image), a static C program for amd64.
 */
function userBuildContext(): string {
  const dir = mkdtempSync(join(tmpdir(), "qus-e2e-user-"));
  writeFileSync(
    join(dir, "Dockerfile"),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax
    'FROM scratch\nARG TARGETARCH\nCOPY uname-${TARGETARCH} /uname\nRUN ["/uname", "-m"]\n',
  );
  writeFileSync(
    join(dir, "uname.c"),
    "#include <stdio.h>\n#include <sys/utsname.h>\nint main(void) { struct utsname u; uname(&u); puts(u.machine); return 0; }\n",
  );
  const built = spawnSync("gcc", ["-static", "-O2", "-o", join(dir, "uname-amd64"), join(dir, "uname.c")], {
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`gcc -static failed: ${built.stderr || String(built.error)}`);
  const container = docker(["create", "--platform", "linux/arm64", "qus-e2e-busybox:arm64"]).stdout.trim();
  try {
    // Run as /uname, busybox is its uname applet.
    expect(docker(["cp", `${container}:/bin/busybox`, join(dir, "uname-arm64")]).status).toBe(0);
  } finally {
    docker(["rm", container]);
  }
  return dir;
}
// s390x's ELF header as QEMU's own entry matches it.
const S390X_MAGIC = "\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x16";
const S390X_MASK =
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff";
const STALE_S390X = `:qemu-s390x:M::${S390X_MAGIC}:${S390X_MASK}:/usr/bin/qemu-s390x-static:`;

useCleanQemuTable(async () => {
  requireDocker();
  await requireQusImage();
});

describe("qus buildx", () => {
  it("ensures binfmt on the engine's kernel and proves each platform with a real build (one per run here)", async () => {
    for (const platform of FIVE.split(",")) {
      const { exitCode, report, stderr } = await buildx(["--platforms", platform]);
      expect(exitCode, stderr).toBe(0);
      expect(report).toMatchObject({ ok: true, builder: "default", driver: "docker" });
      expect(report.binfmt.platforms.map((p) => p.action)).toEqual(["register"]);
      expect(report.platforms.map((p) => [p.platform, p.proven, p.native])).toEqual([[platform, true, false]]);
    }
  });

  it("does not trust a platform list that went stale: a listed platform that cannot run is caught", async () => {
    // The engine's BuildKit keeps listing s390x although its entry is now one that fails in containers (no F).
    registerRaw(STALE_S390X);
    const listed = docker(["buildx", "inspect", "default"]);
    expect(listed.stdout).toMatch(/linux\/s390x/);

    const stale = await buildx(["--platforms", "linux/s390x"]);
    expect(stale.exitCode).toBe(1);
    // Without F the interpreter is opened only at exec, by its path, which is not inside the build's container.
    expect(stale.report.platforms[0]).toMatchObject({
      platform: "linux/s390x",
      listed: true,
      proven: false,
      failure: "interpreter-unreachable",
      detail: "exec /probe: no such file or directory",
      reason:
        "ENOENT: the interpreter /usr/bin/qemu-s390x-static is not reachable inside a chroot: qemu-s390x has no F flag",
      hint: "re-register it with the F flag: qus ensure --replace --platforms linux/s390x",
      code: "QUS_EXEC_FAILED",
    });
    expect(stale.report.warnings.join(" ")).toMatch(/stale/);

    const repaired = await buildx(["--platforms", "linux/s390x", "--replace"]);
    expect(repaired.exitCode).toBe(0);
    expect(repaired.report.binfmt.platforms[0]?.action).toBe("replace");
    expect(repaired.report.platforms[0]).toMatchObject({ listed: true, proven: true });
  });

  it("prints the report for people, and nothing but it (no ::debug:: lines of a GitHub Actions library)", async () => {
    const run = await qus(["buildx", "--platforms", "linux/arm64"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/all 1 platforms proven/);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/::debug::/);
  });

  it("reports the host's own platform as native and still proves it", async () => {
    const { exitCode, report } = await buildx(["--platforms", "linux/amd64"]);
    expect(exitCode).toBe(0);
    expect(report.platforms[0]).toMatchObject({ platform: "linux/amd64", native: true, proven: true });
  });

  it("--driver docker for two platforms on the classic store: exit 1 naming both fixes, before binfmt changes, as the user's build would fail there", async () => {
    const before = entryNames();
    const run = await qus(["buildx", "--platforms", TWO, "--driver", "docker"]);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toContain("qus: error QUS_VERIFY_FAILED: builder default (docker driver) cannot build");
    expect(run.stderr).toContain(`qus buildx --platforms ${TWO} --name qus --driver docker-container`);
    expect(run.stderr).toContain("containerd image store");
    expect(entryNames()).toEqual(before);
    // What qus saved the user from: their own multi-platform build on that builder.
    const dir = userBuildContext();
    try {
      const theirs = docker([
        "buildx",
        "build",
        "--builder",
        "default",
        "--platform",
        TWO,
        "--output",
        "type=cacheonly",
        dir,
      ]);
      expect(theirs.status).not.toBe(0);
      expect(theirs.stderr).toContain("Multi-platform build is not supported for the docker driver");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("no builder named, two platforms: qus sets up docker-container builder qus, and the user's own multi-platform build then passes", async () => {
    const current = currentBuilder();
    const hasBuildkit = docker(["image", "inspect", "moby/buildkit:buildx-stable-1"]).status === 0;
    const { exitCode, report, stderr } = await buildx(["--platforms", TWO]);
    if (!hasBuildkit) {
      // No registry here for the docker-container driver's image: set-up fails, never the user's build later.
      expect(exitCode, stderr).toBe(3);
      expect(stderr).toContain("qus: error QUS_IMAGE_MISSING: could not bootstrap builder qus");
      expect(stderr).toContain("builder qus, created by this run, was removed again");
      expect(builderNames()).not.toContain("qus");
      expect(currentBuilder()).toBe(current);
      return;
    }
    try {
      expect(exitCode, stderr).toBe(0);
      expect(report).toMatchObject({ ok: true, builder: "qus", driver: "docker-container" });
      expect(currentBuilder()).toBe("qus");
      const dir = userBuildContext();
      try {
        const theirs = docker([
          "buildx",
          "build",
          "--platform",
          TWO,
          "--progress",
          "plain",
          "--output",
          "type=cacheonly",
          dir,
        ]);
        expect(theirs.status, theirs.stderr).toBe(0);
        expect(theirs.stderr).toMatch(/x86_64/);
        expect(theirs.stderr).toMatch(/aarch64/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      docker(["buildx", "use", current]);
      docker(["buildx", "rm", "qus"]);
    }
  });

  it("refuses a named builder with the docker driver, with a hint", async () => {
    const run = await qus(["buildx", "--platforms", "arm64", "--name", "mine"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/docker-container/);
  });
});

// Builders these tests make or have qus make, unique to this run; removed afterwards if a test left one.
const PREFIX = `qus-e2e-${process.pid}`;

function builderNames(): string[] {
  const listed = docker(["buildx", "ls", "--format", "{{.Name}}"]);
  if (listed.status === 0) return listed.stdout.split("\n").map((line) => line.trim());
  // Older buildx without --format: the builder lines are the unindented ones.
  return docker(["buildx", "ls"])
    .stdout.split("\n")
    .filter((line) => /^\S/.test(line))
    .map((line) => line.split(/\s+/)[0]?.replace("*", "") ?? "");
}

function removeTestBuilders(): void {
  for (const name of builderNames()) if (name.startsWith(PREFIX)) docker(["buildx", "rm", name]);
}

/** The current builder, as `docker buildx inspect` without a name shows it. */
function currentBuilder(): string {
  return /^Name:\s+(\S+)/m.exec(docker(["buildx", "inspect"]).stdout)?.[1] ?? "";
}

/** A static x86_64 program that hangs (for 120 s at most) when run for a file named `probe`, and fails at once otherwise. */
function buildHangingEmulator(dir: string): string {
  const source = join(dir, "hang.c");
  const path = join(dir, "hang");
  writeFileSync(
    source,
    `#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  const char *file = argc > 1 ? argv[argc - 1] : "";
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  if (strcmp(base, "probe") != 0) return 1;
  sleep(120);
  return 0;
}
`,
  );
  const built = spawnSync("gcc", ["-static", "-O2", "-o", path, source], { encoding: "utf8" });
  if (built.status !== 0) throw new Error(`gcc -static failed: ${built.stderr || String(built.error)}`);
  return path;
}

/** Pids of the processes running `path` right now. */
function processesOf(path: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "") === path;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("qus buildx against a hostile user and a flaky machine", () => {
  afterEach(() => removeTestBuilders());

  it("a builder name buildx would refuse is QUS_USAGE, exit 2, before anything changes; nothing unquoted to paste", async () => {
    const before = entryNames();
    const name = "bad name;$(id)";
    const run = await qus(["buildx", "--platforms", "arm64", "--driver", "docker-container", "--name", name]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("qus: error QUS_USAGE: invalid builder name");
    expect(run.stderr).toContain(JSON.stringify(name));
    // No line of the hint holds the name as a shell would run it.
    const hint = run.stderr.split("\n").find((line) => line.startsWith("hint:")) ?? "";
    expect(hint).not.toContain("$(id)");
    expect(entryNames()).toEqual(before);
    expect(builderNames().some((builder) => builder.includes("bad"))).toBe(false);
  });

  it("docker-container failing halfway (no registry for moby/buildkit): exit 3, QUS_IMAGE_MISSING, its half-made builder removed", async () => {
    const name = `${PREFIX}-half`;
    const run = await qus(["buildx", "--platforms", "arm64", "--driver", "docker-container", "--name", name]);
    expect(run.exitCode, run.stderr).toBe(3);
    expect(run.stderr).toContain(`qus: error QUS_IMAGE_MISSING: could not bootstrap builder ${name}`);
    expect(run.stderr).toContain(`builder ${name}, created by this run, was removed again`);
    expect(builderNames()).not.toContain(name);
  });

  it("a builder that existed before is never removed, and --use does not make a failing builder current", async () => {
    const name = `${PREFIX}-kept`;
    expect(docker(["buildx", "create", "--name", name, "--driver", "docker-container"]).status).toBe(0);
    const current = currentBuilder();
    const run = await qus(["buildx", "--platforms", "arm64", "--driver", "docker-container", "--name", name, "--use"]);
    expect(run.exitCode, run.stderr).toBe(3);
    expect(run.stderr).toContain("QUS_IMAGE_MISSING");
    expect(run.stderr).not.toMatch(/removed/);
    expect(builderNames()).toContain(name);
    expect(currentBuilder()).toBe(current);
  });

  it("two runs at once with the same --name: both fail for the image, neither leaves a builder behind", async () => {
    const name = `${PREFIX}-twin`;
    const args = ["buildx", "--platforms", "arm64", "--driver", "docker-container", "--name", name];
    const runs = await Promise.all([qus(args), qus(args)]);
    for (const run of runs) {
      // The image is missing for both; the one that found its builder removed under it by the other says so.
      expect([1, 3], run.stderr).toContain(run.exitCode);
      expect(run.stderr).toMatch(/QUS_IMAGE_MISSING|removed by another process/);
    }
    expect(runs.some((run) => run.stderr.includes("created by this run, was removed again"))).toBe(true);
    expect(builderNames()).not.toContain(name);
  });

  it("an engine that accepts and never answers: QUS_ENGINE_UNREACHABLE, exit 3, within the docker info timeout", async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const started = Date.now();
      const run = await qus(["buildx", "--platforms", "arm64"], { env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
      expect(run.exitCode, run.stderr).toBe(3);
      expect(run.stderr).toContain("qus: error QUS_ENGINE_UNREACHABLE:");
      expect(run.stderr).toContain("docker info --format '{{json .}}' got no reply within 20 s");
      expect(Date.now() - started).toBeLessThan(40_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it("a proof build whose probe hangs is killed at --proof-timeout: not proven, QUS_TIMEOUT, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qus-e2e-hang-"));
    const hang = buildHangingEmulator(dir);
    try {
      // s390x programs go to the hanging emulator (F: opened now, so it runs inside the build's container too).
      registerRaw(`:qemu-s390x:M::${S390X_MAGIC}:${S390X_MASK}:${hang}:F`);
      const started = Date.now();
      const { exitCode, report, stderr } = await buildx(["--platforms", "linux/s390x", "--proof-timeout", "15"]);
      expect(exitCode, stderr).toBe(1);
      expect(report.platforms[0]).toMatchObject({
        platform: "linux/s390x",
        proven: false,
        failure: "timeout",
        reason: `timed out: the emulator hung (${hang})`,
        code: "QUS_TIMEOUT",
      });
      expect(report.platforms[0]?.detail).toMatch(
        /^docker buildx build --builder default --platform linux\/s390x .* did not finish within 15 s and was killed/,
      );
      expect(Date.now() - started).toBeLessThan(100_000);
      // Killing the build client cancels the build: BuildKit stops the hung RUN step.
      let left = processesOf(hang);
      for (let i = 0; i < 30 && left.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        left = processesOf(hang);
      }
      expect(left).toEqual([]);
    } finally {
      for (const pid of processesOf(hang)) process.kill(pid, "SIGKILL");
      removeRaw("qemu-s390x");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("repeated --platforms add up, empty items are skipped, duplicates proven once", async () => {
    const { exitCode, report, stderr } = await buildx(["--platforms", ",linux/arm64,", "--platforms", "aarch64"]);
    expect(exitCode, stderr).toBe(0);
    expect(report.platforms.map((p) => [p.platform, p.proven])).toEqual([["linux/arm64", true]]);
  });

  it("--platforms with nothing in it is QUS_USAGE, exit 2", async () => {
    const run = await qus(["buildx", "--platforms", " , "]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("QUS_USAGE: no platforms given");
  });
});
