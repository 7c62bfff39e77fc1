import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busybox, qus } from "./kernel.js";

/** Runs the docker CLI with an argv array. */
export function docker(
  args: readonly string[],
  input?: string,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync("docker", args, { encoding: "utf8", input, timeout: 300_000 });
  return {
    status: result.status,
    stdout: result.stdout?.trim() ?? "",
    stderr: result.stderr ?? String(result.error ?? ""),
  };
}

/** Fails fast when no engine answers: the docker tests need dockerd (tools/setup-docker.sh starts it). */
export function requireDocker(): void {
  const info = docker(["info", "--format", "{{.ServerVersion}}"]);
  if (info.status !== 0)
    throw new Error(`the docker tests need a running engine (bash tools/setup-docker.sh): ${info.stderr}`);
}

/** Builds qus's installer image on the engine unless it is there. */
export async function requireQusImage(): Promise<void> {
  if (docker(["image", "inspect", "qus-binfmt:latest"]).status === 0) return;
  const run = await qus(["image", "build"]);
  if (run.exitCode !== 0) throw new Error(`qus image build failed: ${run.stderr}`);
}

/**
 * Builds a FROM scratch image of Debian's busybox-static for a foreign platform. No RUN step, so the build
 * itself needs no emulation; running the image does.
 */
export function buildBusyboxImage(debianArch: string, platform: string): string {
  const tag = `qus-e2e-busybox:${debianArch}`;
  const context = mkdtempSync(join(tmpdir(), "qus-e2e-image-"));
  try {
    copyFileSync(busybox(debianArch), join(context, "busybox"));
    writeFileSync(
      join(context, "Dockerfile"),
      'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n',
    );
    const result = docker(["build", "--platform", platform, "--tag", tag, context]);
    if (result.status !== 0) throw new Error(`docker build of ${tag} failed: ${result.stderr}`);
    return tag;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
