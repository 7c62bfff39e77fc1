import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runStep, type StepOptions } from "./run-step.js";

/** The parts of a one-layer image. */
export interface DockerArchiveInput {
  /** An uncompressed tar of the file system. */
  readonly layer: string;
  readonly tag: string;
  /** `linux/arm64`, `linux/arm/v7`: written into the image's config, so engines run it as that platform. */
  readonly platform: string;
  /** A scratch folder for the archive's members. */
  readonly dir: string;
}

/** The image config of a one-layer image with the layer's digest `diffId`. */
export function imageConfig(platform: string, diffId: string, created: string) {
  const [os, architecture, variant] = platform.split("/");
  return {
    architecture,
    os,
    ...(variant ? { variant } : {}),
    created,
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: ["/bin/sh"],
    },
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created, created_by: "qus vm to-image" }],
  };
}

/**
 * Writes a `docker save` archive (manifest.json, the config, the layer) that `docker load` takes, and returns its
 * path. Written by hand so the platform is the guest's: `docker import` labels some engines' imports with the host's.
 */
export async function writeDockerArchive(options: StepOptions, input: DockerArchiveInput): Promise<string> {
  mkdirSync(input.dir, { recursive: true });
  const diffId = `sha256:${await sha256File(input.layer)}`;
  const config = Buffer.from(JSON.stringify(imageConfig(input.platform, diffId, new Date().toISOString())));
  const configName = `${createHash("sha256").update(config).digest("hex")}.json`;
  writeFileSync(join(input.dir, configName), config);
  renameSync(input.layer, join(input.dir, "layer.tar"));
  const manifest = [{ Config: configName, RepoTags: [withTag(input.tag)], Layers: ["layer.tar"] }];
  writeFileSync(join(input.dir, "manifest.json"), JSON.stringify(manifest));
  const archive = `${input.dir}.tar`;
  await runStep(
    options,
    ["tar", "--create", "--file", archive, "--directory", input.dir, "manifest.json", configName, "layer.tar"],
    { what: "writing the image archive", timeoutMs: 600_000 },
  );
  return archive;
}

/** `name` with `:latest` when it names no tag: an archive's RepoTags must carry one. */
export function withTag(name: string): string {
  return /:[^/]+$/.test(name) ? name : `${name}:latest`;
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });
}
