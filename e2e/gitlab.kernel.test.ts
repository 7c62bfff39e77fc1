import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { QUS_IMAGE } from "@qus/core";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { integrityOf } from "../packages/gitlab/src/index.js";
import { buildBusyboxImage, docker, requireDocker, requireQusImage } from "./support/docker.js";
import { artifact, gitlabProject, pipeline, requireGitlabCiLocal } from "./support/gitlab-ci-local.js";
import { useCleanQemuTable } from "./support/kernel.js";

// @qus/gitlab run for real: gitlab-ci-local (tools/setup-gitlab-ci-local.sh) runs a project that includes qus's
// component, and one that includes the remote file from a loopback server, against this machine's Docker engine
// (shell executor). gitlab-ci-local checks neither inputs' `options` nor `integrity`: this file does.
const CLI = fileURLToPath(new URL("../packages/cli/bin/qus.js", import.meta.url));
// The repository is the component project: GitLab reads templates/ at its root.
const COMPONENT = fileURLToPath(new URL("../templates/qus.yml", import.meta.url));
const REMOTE = fileURLToPath(new URL("../packages/gitlab/templates/remote/qus.yml", import.meta.url));
const QUS = `${process.execPath} ${CLI}`;
// No registry is reachable here: the dind service is stood in for by an image the engine has (the jobs use the
// machine's docker socket, as on a runner that mounts it).
const DIND = QUS_IMAGE;

const folders: string[] = [];
let server: Server | undefined;
afterAll(async () => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

useCleanQemuTable(async () => {
  requireGitlabCiLocal();
  requireDocker();
  await requireQusImage();
  buildBusyboxImage("arm64", "linux/arm64");
});

/** A project for gitlab-ci-local, removed after the file. */
function project(files: Record<string, string>): string {
  const dir = gitlabProject(files);
  folders.push(dir);
  return dir;
}

const testcases = (xml: string) => [...xml.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((match) => match[1]);

/** A user's build job: extends the hidden job, so it ensures its own kernel, then runs a foreign image. */
const BUILD_JOB = `
build-arm64:
  stage: build
  extends: .qus-ensure
  script:
    - echo "platforms=$QUS_PLATFORMS"
    - docker run --rm --platform linux/arm64 qus-e2e-busybox:arm64 uname -m
`;

interface InputSpec {
  readonly type?: string;
  readonly default?: unknown;
  readonly options?: readonly unknown[];
  readonly regex?: string;
}

/** GitLab's documented rules for `spec:inputs`, which gitlab-ci-local does not apply. */
function checkInputs(spec: Record<string, InputSpec>, given: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, input] of Object.entries(spec)) {
    if (!/^[a-zA-Z0-9_-]+$/.test(name)) problems.push(`${name}: not a valid input name`);
    const type = input.type ?? "string";
    const value = name in given ? given[name] : input.default;
    if (value === undefined) problems.push(`${name}: required and not given`);
    if (type === "array" && !Array.isArray(value)) problems.push(`${name}: type array, got ${JSON.stringify(value)}`);
    if (type === "string" && typeof value !== "string") problems.push(`${name}: type string`);
    if (input.options) {
      if (input.options.length > 50) problems.push(`${name}: more than 50 options`);
      if (!input.options.includes(value)) problems.push(`${name}: ${JSON.stringify(value)} is not one of its options`);
      if (input.default !== undefined && !input.options.includes(input.default)) problems.push(`${name}: bad default`);
    }
    if (input.regex !== undefined && typeof value === "string" && !new RegExp(input.regex).test(value)) {
      problems.push(`${name}: ${JSON.stringify(value)} does not match ${input.regex}`);
    }
  }
  for (const name of Object.keys(given)) if (!(name in spec)) problems.push(`${name}: no such input`);
  return problems;
}

function componentSpec(): Record<string, InputSpec> {
  const header = readFileSync(COMPONENT, "utf8").split("\n---\n")[0] ?? "";
  return (parse(header) as { spec: { inputs: Record<string, InputSpec> } }).spec.inputs;
}

describe("@qus/gitlab under gitlab-ci-local", () => {
  it("the component: its jobs register, verify and report on the engine's kernel; a job extending .qus-ensure runs arm64", async () => {
    const inputs = { platforms: ["linux/arm64", "linux/s390x"], qus: QUS, "dind-image": DIND, stage: "test" };
    expect(checkInputs(componentSpec(), inputs)).toEqual([]);
    const dir = project({
      "templates/qus.yml": readFileSync(COMPONENT, "utf8"),
      ".gitlab-ci.yml": `stages: [test, build]
include:
  - component: $CI_SERVER_FQDN/qus-e2e/app/qus@$CI_COMMIT_SHA
    inputs: ${JSON.stringify(inputs)}
${BUILD_JOB}`,
    });
    const run = await pipeline(dir);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/PASS\s+qus-ensure/);
    expect(run.output).toMatch(/PASS\s+build-arm64/);
    expect(run.output).toContain("platforms=linux/arm64,linux/s390x");
    expect(run.output).toMatch(/build-arm64 > aarch64/);

    const junit = artifact(dir, "qus-ensure", "junit.xml");
    expect(testcases(junit)).toEqual(["linux/arm64", "linux/s390x"]);
    expect(junit).not.toContain("<failure");
    expect(artifact(dir, "qus-ensure", "qus.env")).toBe("QUS_PLATFORMS=linux/arm64,linux/s390x\n");
    const report = JSON.parse(artifact(dir, "qus-ensure", "qus.json")) as { ok: boolean; driver: string };
    expect(report).toMatchObject({ ok: true, driver: "docker" });

    // After the pipeline, the engine's kernel runs the foreign image.
    const uname = docker(["run", "--rm", "--platform", "linux/arm64", "qus-e2e-busybox:arm64", "uname", "-m"]);
    expect(uname.stderr).not.toContain("exec format error");
    expect(uname.stdout).toBe("aarch64");
  });

  it("include: remote of the one hosted file from a loopback server, pinned by integrity, with inputs: the pipeline passes and arm64 runs after it", async () => {
    // The committed file to host is the component itself, and its integrity file agrees (openssl dgst -sha256 -binary | base64).
    const content = readFileSync(REMOTE);
    expect(content.equals(readFileSync(COMPONENT))).toBe(true);
    const integrity = integrityOf(content);
    expect(readFileSync(`${REMOTE}.integrity`, "utf8")).toBe(`${integrity}\n`);

    const inputs = { platforms: ["linux/arm64", "linux/ppc64le"], qus: QUS, "dind-image": DIND };
    expect(checkInputs(componentSpec(), inputs)).toEqual([]);
    let served = Buffer.alloc(0);
    server = createServer((request, response) => {
      served = content;
      response.writeHead(request.url === "/qus.yml" ? 200 : 404, { "content-type": "text/yaml" });
      response.end(request.url === "/qus.yml" ? content : "");
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const dir = project({
      ".gitlab-ci.yml": `stages: [test, build]
include:
  - remote: http://127.0.0.1:${port}/qus.yml
    integrity: ${integrity}
    inputs: ${JSON.stringify(inputs)}
${BUILD_JOB}`,
    });
    const run = await pipeline(dir);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/PASS\s+qus-ensure/);
    expect(run.output).toMatch(/build-arm64 > aarch64/);
    // GitLab's rule, which gitlab-ci-local does not apply: the fetched bytes hash to the integrity value.
    expect(integrity).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
    expect(`sha256-${createHash("sha256").update(served).digest("base64")}`).toBe(integrity);
    expect(testcases(artifact(dir, "qus-ensure", "junit.xml"))).toEqual(["linux/arm64", "linux/ppc64le"]);
    expect(artifact(dir, "qus-ensure", "qus.env")).toBe("QUS_PLATFORMS=linux/arm64,linux/ppc64le\n");
    const uname = docker(["run", "--rm", "--platform", "linux/arm64", "qus-e2e-busybox:arm64", "uname", "-m"]);
    expect(uname.stdout).toBe("aarch64");
  });

  it("a bogus platform fails the pipeline with qus's hint, and the JUnit file names it", async () => {
    const inputs = { platforms: ["linux/arm64", "linux/bogus"], qus: QUS, "dind-image": DIND, mode: "verify" };
    expect(checkInputs(componentSpec(), inputs)).toEqual([]);
    expect(checkInputs(componentSpec(), { ...inputs, mode: "install" })).toEqual([
      'mode: "install" is not one of its options',
    ]);
    const dir = project({
      "templates/qus.yml": readFileSync(COMPONENT, "utf8"),
      ".gitlab-ci.yml": `include:
  - component: $CI_SERVER_FQDN/qus-e2e/app/qus@$CI_COMMIT_SHA
    inputs: ${JSON.stringify(inputs)}
`,
    });
    const run = await pipeline(dir);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/FAIL\s+qus-verify/);
    expect(run.output).toContain("linux/bogus");
    expect(run.output).toMatch(/hint: /);
    const junit = artifact(dir, "qus-verify", "junit.xml");
    expect(testcases(junit)).toContain("linux/bogus");
    expect(junit).toMatch(/name="linux\/bogus">\s*<failure /);
    expect(artifact(dir, "qus-verify", "qus.env")).toBe("QUS_PLATFORMS=\n");
  });
});
