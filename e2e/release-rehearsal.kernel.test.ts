import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { QUS_IMAGE } from "@qus/core";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT, run, userEnv } from "../tools/pack-install.mjs";
import { buildBusyboxImage, docker, loadImage, requireDocker } from "./support/docker.js";
import { type UserFolder, userFolder } from "./support/first-contact.js";
import { artifact, gitlabProject, pipeline, requireGitlabCiLocal } from "./support/gitlab-ci-local.js";
import { busybox, entryNames, removeQemuEntries, runProgram, useCleanQemuTable } from "./support/kernel.js";
import { dockerRunArgs, type PodSpec } from "./support/kubelet.js";
import { type Registries, startRegistries, stopRegistries, withRegistry } from "./support/registries.js";

// The release rehearsed on real registries on loopback (tools/registries.sh): what a release publishes (every public
// package through `changeset publish`, the installer image for amd64 and arm64 as one multi-platform image by
// tools/release-image.sh), then what users do with it from an empty folder that knows only the registries: npx the
// CLI, the GitLab component with its default `qus` input, the DaemonSet's containers with the default image, and
// the Dagger module's dependencies.
const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, "packages/cli/package.json"), "utf8")).version as string;
const CLI = `@qus/cli@${VERSION}`;
const COMPONENT = fileURLToPath(new URL("../templates/qus.yml", import.meta.url));
const DAGGER = fileURLToPath(new URL("../packages/dagger", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "qus-rehearsal-"));
const cache = join(work, "npm-cache");
// Stand-in for the docker:dind service, which cannot be pulled here (the jobs use this machine's socket).
const DIND = "qus-e2e-dind-stand-in:amd64";
let registries: Registries | undefined;
let image = "";
const users: UserFolder[] = [];
const folders: string[] = [];

function registry(): Registries {
  if (!registries) throw new Error("the registries did not start");
  return registries;
}

function newUser(): UserFolder {
  const user = userFolder(registry().npm, cache);
  users.push(user);
  return user;
}

useCleanQemuTable(async () => {
  requireDocker();
  requireGitlabCiLocal();
  registries = startRegistries(join(work, "registries"));
  image = withRegistry(QUS_IMAGE, registries.oci);
  await run("npm", ["run", "build"], { cwd: REPO_ROOT, timeout: 600_000 });
  // The changesets flow, as a release runs it, with the registry and its token from a temporary userconfig.
  await run(join(REPO_ROOT, "node_modules/.bin/changeset"), ["publish", "--no-git-tag"], {
    cwd: REPO_ROOT,
    timeout: 300_000,
    env: { ...userEnv(), npm_config_registry: registries.npm, npm_config_userconfig: registries.npmrc, CI: "true" },
  });
  buildBusyboxImage("arm64", "linux/arm64");
  loadImage(DIND, { files: [{ path: "bin/busybox", source: busybox("amd64") }], entrypoint: ["/bin/busybox"] });
});

afterAll(() => {
  for (const dir of [...users.map((user) => user.dir), ...folders]) rmSync(dir, { recursive: true, force: true });
  if (registries) stopRegistries(join(work, "registries"));
  for (const tag of [image, `${image}-amd64`, `${image}-arm64`, DIND]) if (tag) docker(["rmi", tag]);
  rmSync(work, { recursive: true, force: true });
});

const arm64Runs = () => runProgram(busybox("arm64"), ["uname", "-m"]).stdout;

describe("a release rehearsed on loopback registries, then used as a new user would", () => {
  it("every public package is on the npm registry at the repository's version", async () => {
    const user = newUser();
    for (const name of ["core", "cli", "buildx", "ci", "gitlab", "k8s", "testcontainers", "vm"]) {
      const view = await user.run("npm", ["view", `@qus/${name}@${VERSION}`, "version"]);
      expect(view.stdout.trim(), `@qus/${name}: ${view.stderr}`).toBe(VERSION);
    }
  });

  it("the installer image: amd64 and arm64 (built under qus's own emulation) as one image under the default reference", async () => {
    const pushed = await run("bash", [join(REPO_ROOT, "tools/release-image.sh"), registry().oci], {
      cwd: REPO_ROOT,
      timeout: 900_000,
    });
    expect(pushed.stdout.trim().split("\n").at(-1)).toBe(image);
    const raw = docker(["buildx", "imagetools", "inspect", "--raw", image]);
    expect(raw.status, raw.stderr).toBe(0);
    const index = JSON.parse(raw.stdout) as { manifests: { platform: { os: string; architecture: string } }[] };
    const platforms = index.manifests.map(({ platform }) => `${platform.os}/${platform.architecture}`).sort();
    expect(platforms).toEqual(["linux/amd64", "linux/arm64"]);
  }, 900_000);

  it("npx @qus/cli ensure in an empty folder: the local kernel, then the engine's with the image from the registry", async () => {
    const user = newUser();
    const local = await user.run("npx", ["--yes", CLI, "ensure", "--platforms", "linux/arm64"]);
    expect(local.status, local.stdout + local.stderr).toBe(0);
    expect(arm64Runs()).toBe("aarch64");

    removeQemuEntries();
    expect(entryNames().filter((name) => name.startsWith("qemu-"))).toEqual([]);
    docker(["rmi", image]);
    const engine = await user.run("npx", ["--yes", CLI, "ensure", "--driver", "docker", "--platforms", "linux/arm64"], {
      env: { QUS_IMAGE: image },
    });
    expect(engine.status, engine.stdout + engine.stderr).toBe(0);
    expect(docker(["image", "inspect", image]).status).toBe(0);
    expect(docker(["run", "--rm", "--platform", "linux/arm64", "qus-e2e-busybox:arm64", "uname", "-m"]).stdout).toBe(
      "aarch64",
    );
  });

  it("the GitLab component with its default qus input (npx @qus/cli), the registries reached through variables", async () => {
    const dir = gitlabProject({
      "templates/qus.yml": readFileSync(COMPONENT, "utf8"),
      ".gitlab-ci.yml": `include:
  - component: $CI_SERVER_FQDN/qus-e2e/app/qus@$CI_COMMIT_SHA
    inputs: ${JSON.stringify({ platforms: ["linux/arm64"], "dind-image": DIND })}
`,
    });
    folders.push(dir);
    docker(["rmi", image]);
    // The input left out takes its default: npx of the version this repository publishes.
    const header = parse(readFileSync(COMPONENT, "utf8").split("\n---\n")[0] ?? "") as {
      spec: { inputs: { qus: { default: string } } };
    };
    expect(header.spec.inputs.qus.default).toBe(`npx --yes ${CLI}`);
    // A cache of the job's own: what npx fetched there shows it came from the registry the variables name.
    const jobCache = join(work, "gitlab-npm-cache");
    const variables = { NPM_CONFIG_REGISTRY: registry().npm, NPM_CONFIG_CACHE: jobCache, QUS_IMAGE: image };
    const args = Object.entries(variables).flatMap(([key, value]) => ["--variable", `${key}=${value}`]);
    // The job's shell has no npm configuration of the test run: only what the variables give it.
    const result = await pipeline(dir, args, userEnv());
    expect(result.status, result.output).toBe(0);
    expect(readdirSync(join(jobCache, "_npx")).length).toBe(1);
    expect(JSON.parse(artifact(dir, "qus-ensure", "qus.json"))).toMatchObject({ ok: true, driver: "docker" });
    expect(result.output).toMatch(/PASS\s+qus-ensure/);
    expect(artifact(dir, "qus-ensure", "qus.env")).toBe("QUS_PLATFORMS=linux/arm64\n");
    expect(arm64Runs()).toBe("aarch64");
  });

  it("the DaemonSet's installer, run as a kubelet would, pulls the default image from the registry", async () => {
    const user = newUser();
    const manifest = await user.run("npx", ["--yes", CLI, "k8s", "manifest", "--platforms", "linux/arm64", "--json"]);
    expect(manifest.status, manifest.stderr).toBe(0);
    const objects = JSON.parse(manifest.stdout) as { kind: string; spec: { template: { spec: PodSpec } } }[];
    const pod = objects.find((object) => object.kind === "DaemonSet")?.spec.template.spec as PodSpec;
    const init = pod.initContainers ?? [];
    expect(init.map((container) => container.image)).toEqual(init.map(() => QUS_IMAGE));
    docker(["rmi", image]);
    for (const container of init) {
      const pulled = { ...container, image: withRegistry(container.image, registry().oci) };
      const emptyDirs = new Map(
        pod.volumes.filter((v) => v.emptyDir).map((v) => [v.name, mkdtempSync(join(work, v.name))]),
      );
      const options = { prefix: "qus-e2e-rehearsal", nodeName: "node-a", emptyDirs, foreground: true };
      const result = docker(dockerRunArgs(pod, pulled, options));
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^verified: linux\/arm64 OK$/m);
    }
    expect(arm64Runs()).toBe("aarch64");
  });

  it("the Dagger module's dependencies install from the registry, @qus/core at the published version", async () => {
    const user = newUser();
    const module = join(user.dir, "dagger");
    cpSync(DAGGER, module, { recursive: true, filter: (path) => !/\/(node_modules|dist)(\/|$)/.test(path) });
    const installed = await user.run("npm", ["install", "--no-fund", "--no-audit"], { cwd: module });
    expect(installed.status, installed.stderr).toBe(0);
    const lock = JSON.parse(readFileSync(join(module, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string; resolved?: string }>;
    };
    const core = lock.packages["node_modules/@qus/core"];
    expect(core?.version).toBe(VERSION);
    expect(core?.resolved).toBe(`${registry().npm}@qus/core/-/core-${VERSION}.tgz`);
  });
});
