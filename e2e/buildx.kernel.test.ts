import { describe, expect, it } from "vitest";
import { docker, requireDocker, requireQusImage } from "./support/docker.js";
import { qus, registerRaw, useCleanQemuTable } from "./support/kernel.js";

// `qus buildx` against the engine's real BuildKit (docker driver; docker-container needs the moby/buildkit image,
// which cannot be pulled here). Serial; the qemu-* entries are put back afterwards.
interface BuildxReport {
  ok: boolean;
  builder: string;
  driver: string;
  warnings: string[];
  binfmt: { platforms: { platform: string; action: string }[] };
  platforms: { platform: string; listed: boolean; native: boolean; proven: boolean; reason?: string }[];
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
const STALE_S390X =
  ":qemu-s390x:M::\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x16:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff:/usr/bin/qemu-s390x-static:";

useCleanQemuTable(async () => {
  requireDocker();
  await requireQusImage();
});

describe("qus buildx", () => {
  it("ensures binfmt on the engine's kernel and proves every platform with a real build", async () => {
    const { exitCode, report, stderr } = await buildx(["--platforms", FIVE]);
    expect(exitCode, stderr).toBe(0);
    expect(report).toMatchObject({ ok: true, builder: "default", driver: "docker" });
    expect(report.binfmt.platforms.map((p) => p.action)).toEqual(Array(5).fill("register"));
    expect(report.platforms.map((p) => [p.platform, p.proven, p.native])).toEqual(
      FIVE.split(",").map((platform) => [platform, true, false]),
    );
  });

  it("does not trust a platform list that went stale: a listed platform that cannot run is caught", async () => {
    // The engine's BuildKit keeps listing s390x although its entry is now one that fails in containers (no F).
    registerRaw(STALE_S390X);
    const listed = docker(["buildx", "inspect", "default"]);
    expect(listed.stdout).toMatch(/linux\/s390x/);

    const stale = await buildx(["--platforms", "linux/s390x"]);
    expect(stale.exitCode).toBe(1);
    expect(stale.report.platforms[0]).toMatchObject({ platform: "linux/s390x", listed: true, proven: false });
    expect(stale.report.platforms[0]?.reason).toMatch(/exec format error|no such file/i);
    expect(stale.report.warnings.join(" ")).toMatch(/stale/);

    const repaired = await buildx(["--platforms", "linux/s390x", "--replace"]);
    expect(repaired.exitCode).toBe(0);
    expect(repaired.report.binfmt.platforms[0]?.action).toBe("replace");
    expect(repaired.report.platforms[0]).toMatchObject({ listed: true, proven: true });
  });

  it("keeps the actions toolkit's ::debug:: lines off the user's terminal", async () => {
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

  it("refuses a named builder with the docker driver, with a hint", async () => {
    const run = await qus(["buildx", "--platforms", "arm64", "--name", "mine"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/docker-container/);
  });
});
