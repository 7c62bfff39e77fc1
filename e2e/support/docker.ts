import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { QUS_IMAGE } from "@qus/core";
import { busybox, qus } from "./kernel.js";

/** A container engine's CLI the tests drive: docker, or podman (support/podman.ts). */
export type EngineCli = "docker" | "podman";

/** Runs the docker CLI with an argv array. */
export function docker(
  args: readonly string[],
  input?: string,
): { status: number | null; stdout: string; stderr: string } {
  return engineCli("docker", args, input);
}

/** Runs an engine's CLI with an argv array. */
export function engineCli(
  cli: EngineCli,
  args: readonly string[],
  input?: string,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(cli, args, { encoding: "utf8", input, timeout: 300_000 });
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

/** Builds qus's installer image on the engine, tagged as the default reference (QUS_IMAGE), unless it is there. */
export async function requireQusImage(cli: EngineCli = "docker"): Promise<void> {
  if (engineCli(cli, ["image", "inspect", QUS_IMAGE]).status === 0) return;
  const run = await qus(["image", "build", "--driver", cli]);
  if (run.exitCode !== 0) throw new Error(`qus image build --driver ${cli} failed: ${run.stderr}`);
}

/** One file of an image made without a builder: its path in the image, and its bytes (a file here, or text). */
export interface ImageFile {
  readonly path: string;
  readonly source?: string;
  readonly text?: string;
  readonly mode?: number;
}

/**
 * Makes an image without a builder: one layer of the given files, loaded with `docker load` (or `podman load`). No
 * BuildKit (whose platform check a hung emulator anywhere on the machine can hold for ever), no registry, any
 * platform.
 */
export function loadImage(
  tag: string,
  options: {
    readonly platform?: string;
    readonly files: readonly ImageFile[];
    readonly entrypoint?: readonly string[];
    readonly labels?: Readonly<Record<string, string>>;
    readonly cli?: EngineCli;
  },
): string {
  const work = mkdtempSync(join(tmpdir(), "qus-e2e-image-"));
  try {
    const root = join(work, "root");
    for (const file of options.files) {
      const target = join(root, file.path);
      mkdirSync(dirname(target), { recursive: true });
      if (file.source !== undefined) copyFileSync(file.source, target);
      else writeFileSync(target, file.text ?? "");
      chmodSync(target, file.mode ?? 0o755);
    }
    const out = join(work, "out");
    mkdirSync(out);
    const tar = spawnSync(
      "tar",
      [
        "--sort=name",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "--mtime=@0",
        "-C",
        root,
        "-cf",
        join(out, "layer.tar"),
        ...readdirSync(root),
      ],
      { encoding: "utf8" },
    );
    if (tar.status !== 0) throw new Error(`tar of ${tag} failed: ${tar.stderr}`);
    const diffId = createHash("sha256")
      .update(readFileSync(join(out, "layer.tar")))
      .digest("hex");
    const [os = "linux", architecture = "amd64", variant] = (options.platform ?? "linux/amd64").split("/");
    const config = {
      architecture,
      os,
      ...(variant ? { variant } : {}),
      config: { Entrypoint: options.entrypoint ?? null, Labels: options.labels ?? null },
      rootfs: { type: "layers", diff_ids: [`sha256:${diffId}`] },
    };
    writeFileSync(join(out, "config.json"), JSON.stringify(config));
    writeFileSync(
      join(out, "manifest.json"),
      JSON.stringify([{ Config: "config.json", RepoTags: [tag], Layers: ["layer.tar"] }]),
    );
    const archive = join(work, "image.tar");
    const pack = spawnSync("tar", ["-C", out, "-cf", archive, "manifest.json", "config.json", "layer.tar"], {
      encoding: "utf8",
    });
    if (pack.status !== 0) throw new Error(`tar of ${tag} failed: ${pack.stderr}`);
    const cli = options.cli ?? "docker";
    const loaded = engineCli(cli, ["load", "--input", archive]);
    if (loaded.status !== 0) throw new Error(`${cli} load of ${tag} failed: ${loaded.stderr}`);
    return tag;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * An image of Debian's busybox-static for a foreign platform (made with {@link loadImage}: nothing runs while it
 * is made, so it needs no emulation; running the image does).
 */
export function buildBusyboxImage(debianArch: string, platform: string, cli: EngineCli = "docker"): string {
  return loadImage(`qus-e2e-busybox:${debianArch}`, {
    platform,
    files: [{ path: "bin/busybox", source: busybox(debianArch) }],
    entrypoint: ["/bin/busybox"],
    cli,
  });
}

/** Names of the containers qus's runner made (`qus-helper-*`) that are still on the engine, running or not. */
export function helperContainers(cli: EngineCli = "docker"): string[] {
  const listed = engineCli(cli, ["ps", "--all", "--filter", "name=qus-helper-", "--format", "{{.Names}}"]);
  if (listed.status !== 0) throw new Error(`${cli} ps failed: ${listed.stderr}`);
  return listed.stdout.split("\n").filter(Boolean);
}
