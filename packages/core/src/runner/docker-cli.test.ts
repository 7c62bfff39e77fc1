// The CLI runners: docker's and podman's, and what they share (cli-runner.ts), on a fake Exec.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuOfEngineArch } from "../architectures.js";
import { createContainerDriver } from "../drivers/container/index.js";
import { isQusError, type QusError } from "../errors.js";
import type { Exec, ExecOptions, ExecResult } from "../exec.js";
import { QUS_IMAGE } from "../installer-image.js";
import { rejection } from "../test-support.js";
import { CONTAINER_NAME_PREFIX, createArgs, PROGRAM_PATH, runArgs } from "./cli-args.js";
import type { Confinement } from "./cli-engine.js";
import { describeRunFailure } from "./cli-output.js";
import { DEFAULT_ENGINE_TIMEOUT_MS, engineTimeoutFromEnv } from "./cli-runner-options.js";
import { createDockerCliRunner, type DockerCliOptions, parseDockerInfo } from "./docker-cli.js";
import { createPodmanCliRunner, type PodmanCliOptions, parsePodmanInfo } from "./podman-cli.js";
import type { ContainerRunner, RunSpec } from "./types.js";

// Recorded outputs (test-fixtures/container/README.md says where each one comes from).
const fixture = (name: string) =>
  readFileSync(new URL(`../../test-fixtures/container/${name}`, import.meta.url), "utf8");
// `docker info --format '{{json .}}'` of the engine the kernel tests run on (docker 20.10.24, CLI 28.2.2).
const RECORDED_INFO = fixture("docker-info.json");
// `podman info --format json` of Debian 12's podman 4.3.1, rootful (as root) and rootless (as nobody).
const PODMAN_INFO = fixture("podman-info.json");
const PODMAN_ROOTLESS_INFO = fixture("podman-info-rootless.json");

const SPEC: RunSpec = {
  image: QUS_IMAGE,
  command: ["sh", "-c", "echo 'two words'\necho done", "qus-helper", "marker=AAAA"],
  needsBinfmtMount: true,
  privilege: "least",
};
const UNCONFINED: Confinement = { apparmor: false, selinux: false };
const APPARMOR: Confinement = { apparmor: true, selinux: false };
// The recorded engine has no AppArmor: the runner's args for it are the unconfined ones.
const dockerRunArgs = (spec: RunSpec, name?: string) => runArgs(spec, UNCONFINED, name);
const dockerCreateArgs = (spec: Omit<RunSpec, "command" | "entrypoint">, name?: string) =>
  createArgs(spec, UNCONFINED, name);

function caught(action: () => unknown): QusError {
  try {
    action();
  } catch (error) {
    if (isQusError(error)) return error;
    throw error;
  }
  throw new Error("expected a QusError");
}

describe("runArgs and createArgs (argv arrays, no shell)", () => {
  it("least privilege for a binfmt_misc mount: --cap-add, no network, never pulls, command passed through as is", () => {
    expect(dockerRunArgs(SPEC)).toEqual([
      "run",
      "--rm",
      "--interactive",
      "--network=none",
      "--pull=never",
      "--cap-add=SYS_ADMIN",
      "--",
      QUS_IMAGE,
      "sh",
      "-c",
      "echo 'two words'\necho done",
      "qus-helper",
      "marker=AAAA",
    ]);
  });

  it("a name when given, and `--` before the image, so no image string is read as an option", () => {
    const args = dockerRunArgs({ ...SPEC, image: "--privileged" }, "qus-helper-0123456789ab");
    expect(args.slice(0, 4)).toEqual(["run", "--rm", "--interactive", "--name=qus-helper-0123456789ab"]);
    expect(args.indexOf("--privileged")).toBe(args.indexOf("--") + 1);
    expect(dockerCreateArgs({ ...SPEC, image: "-x" }, "n").slice(-2)).toEqual(["--", "-x"]);
  });

  it("full privilege: --privileged replaces --cap-add and every confinement option", () => {
    const args = runArgs({ ...SPEC, privilege: "full" }, { apparmor: true, selinux: true });
    expect(args).toContain("--privileged");
    expect(args.some((arg) => arg.startsWith("--cap-add") || arg.startsWith("--security-opt"))).toBe(false);
  });

  it("no mount needed, least privilege: no capability, no confinement lifted", () => {
    const args = runArgs({ ...SPEC, needsBinfmtMount: false }, { apparmor: true, selinux: true });
    expect(args.some((arg) => arg.startsWith("--cap-add") || arg.startsWith("--security-opt"))).toBe(false);
  });

  it("AppArmor or SELinux confining the engine: lifted for the mount; platform and entrypoint before the image", () => {
    const args = runArgs(
      { ...SPEC, platform: "linux/arm64", entrypoint: "/bin/busybox" },
      { apparmor: true, selinux: true },
    );
    const image = args.indexOf(QUS_IMAGE);
    expect(args.slice(3, image)).toEqual([
      "--network=none",
      "--pull=never",
      "--cap-add=SYS_ADMIN",
      "--security-opt=apparmor=unconfined",
      "--security-opt=label=disable",
      "--platform=linux/arm64",
      "--entrypoint=/bin/busybox",
      "--",
    ]);
    expect(args.slice(image + 1)).toEqual(SPEC.command);
  });

  it("an empty entrypoint is passed (it clears the image's), an absent one is not", () => {
    expect(dockerRunArgs({ ...SPEC, entrypoint: "" })).toContain("--entrypoint=");
    expect(dockerRunArgs(SPEC).some((arg) => arg.startsWith("--entrypoint"))).toBe(false);
  });

  it("create: the program path as entrypoint, no command, no --rm", () => {
    expect(
      createArgs({ image: "tonistiigi/binfmt:qemu-v10.2.3-68", needsBinfmtMount: true, privilege: "least" }, APPARMOR),
    ).toEqual([
      "create",
      "--network=none",
      "--pull=never",
      "--cap-add=SYS_ADMIN",
      "--security-opt=apparmor=unconfined",
      `--entrypoint=${PROGRAM_PATH}`,
      "--",
      "tonistiigi/binfmt:qemu-v10.2.3-68",
    ]);
  });
});

describe("parseDockerInfo", () => {
  it("a recorded rootful engine without AppArmor", () => {
    expect(parseDockerInfo(RECORDED_INFO, "the default endpoint")).toEqual({
      info: {
        cpu: "x86_64",
        architecture: "x86_64",
        version: "20.10.24+dfsg1",
        rootless: false,
        userns: false,
        endpoint: "the default endpoint",
      },
      confinement: { apparmor: false, selinux: false },
    });
  });

  it("rootless (hand-made): name=rootless among the security options", () => {
    const json = JSON.stringify({
      Architecture: "aarch64",
      ServerVersion: "27.3.1",
      SecurityOptions: ["name=seccomp,profile=default", "name=rootless"],
    });
    expect(parseDockerInfo(json, "context rootless")).toMatchObject({
      info: { cpu: "aarch64", architecture: "aarch64", rootless: true, userns: false },
      confinement: { apparmor: false },
    });
  });

  it("userns-remap with AppArmor (hand-made)", () => {
    const json = JSON.stringify({
      Architecture: "x86_64",
      ServerVersion: "24.0.7",
      SecurityOptions: ["name=apparmor", "name=seccomp,profile=builtin", "name=userns"],
    });
    expect(parseDockerInfo(json, "tcp://10.0.0.2:2376")).toMatchObject({
      info: { rootless: false, userns: true },
      confinement: { apparmor: true, selinux: false },
    });
  });

  it("option names are matched whole: a seccomp profile named rootless is not rootless", () => {
    const json = JSON.stringify({ ServerVersion: "24.0.7", SecurityOptions: ["name=seccomp,profile=rootless"] });
    expect(parseDockerInfo(json, "e")).toMatchObject({ info: { rootless: false } });
  });

  it("ServerErrors and no server: QUS_ENGINE_UNREACHABLE naming the endpoint and the error", () => {
    const json = JSON.stringify({
      ID: "",
      ServerVersion: "",
      ServerErrors: [
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
      ],
    });
    const error = caught(() => parseDockerInfo(json, "unix:///var/run/docker.sock"));
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toContain("unix:///var/run/docker.sock");
    expect(error.message).toContain("Is the docker daemon running?");
    expect(error.hint).toContain("DOCKER_HOST");
  });

  it("output that does not parse: the client is broken (QUS_ENGINE_UNREACHABLE, exit 3) quoting it, not a crash", () => {
    for (const text of ["{not json", "[1,2]x", "42"]) {
      const error = caught(() => parseDockerInfo(text, "e"));
      expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
      expect(error.message).toMatch(/cannot read: "/);
    }
  });

  it("no server and no ServerErrors: unreachable, with a detail after the colon", () => {
    const error = caught(() => parseDockerInfo('{"ServerVersion":"","ServerErrors":[]}', "e"));
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toBe("cannot reach the container engine at e: docker info reported no server");
  });
});

interface Call {
  readonly file: string;
  readonly args: readonly string[];
  readonly options?: ExecOptions;
  /** Contents of the file `docker cp` copies, read while it exists. */
  readonly copied?: Buffer;
}

function ok(stdout = "", exitCode = 0, stderr = ""): ExecResult {
  return { exitCode, signal: undefined, stdout, stderr, startError: undefined, timedOut: false };
}

/** What a process killed at its timeout looks like (exec.ts: the group is killed, timedOut is set). */
function timedOut(stdout = "", stderr = ""): ExecResult {
  return { exitCode: undefined, signal: "SIGKILL", stdout, stderr, startError: undefined, timedOut: true };
}

type Answer = ExecResult | ((args: readonly string[]) => ExecResult);

/** An Exec that answers docker commands by their subcommand and records the argv: no docker CLI runs. */
function fakeExec(answers: Record<string, Answer>, info = RECORDED_INFO): { exec: Exec; calls: Call[] } {
  const calls: Call[] = [];
  const exec: Exec = async (file, args, options) => {
    const global = args[0] === "--context" || args[0] === "--connection" ? 2 : 0;
    const subcommand = args[global] ?? "";
    const copied = subcommand === "cp" ? readFileSync(args.at(-2) ?? "") : undefined;
    calls.push({ file, args: [...args], options, copied });
    // The runner asks the engine's info before a mount with least privilege: the recorded engine's, unless set.
    const answer = answers[subcommand] ?? (subcommand === "info" ? ok(info) : ok());
    return typeof answer === "function" ? answer(args) : answer;
  };
  return { exec, calls };
}

/** A runner on a fake Exec, with the interrupt clean-ups it registers kept in a set the test can look at. */
function runnerWith(answers: Record<string, Answer>, options: DockerCliOptions = {}) {
  return withCleanups(answers, RECORDED_INFO, (more) => createDockerCliRunner({ ...more, ...options }));
}

/** A podman runner on a fake Exec that answers podman info with the recorded rootful engine's, unless set. */
function podmanWith(answers: Record<string, Answer>, options: PodmanCliOptions = {}) {
  return withCleanups(answers, PODMAN_INFO, (more) => createPodmanCliRunner({ ...more, ...options }));
}

function withCleanups(
  answers: Record<string, Answer>,
  info: string,
  create: (options: { exec: Exec; onInterrupt: (cleanup: () => void) => () => void }) => ContainerRunner,
) {
  const fake = fakeExec(answers, info);
  const cleanups = new Set<() => void>();
  const runner = create({
    exec: fake.exec,
    onInterrupt: (cleanup) => {
      cleanups.add(cleanup);
      return () => {
        cleanups.delete(cleanup);
      };
    },
  });
  return { ...fake, runner, cleanups };
}

const NO_DAEMON = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";

describe("createDockerCliRunner (fake Exec: no docker CLI involved)", () => {
  it("info: docker info --format {{json .}}, with --context first when one is given, bounded by the engine timeout", async () => {
    const { exec, calls } = fakeExec({ info: ok(RECORDED_INFO) });
    const info = await createDockerCliRunner({ exec, context: "ctx", docker: "/usr/bin/docker" }).info();
    expect(calls[0]?.file).toBe("/usr/bin/docker");
    expect(calls[0]?.args).toEqual(["--context", "ctx", "info", "--format", "{{json .}}"]);
    expect(calls[0]?.options?.timeoutMs).toBe(DEFAULT_ENGINE_TIMEOUT_MS);
    expect(info).toMatchObject({ architecture: "x86_64", endpoint: "context ctx" });
  });

  it("info when the daemon is down (CLI 28: JSON without a server, the error on stderr, exit 1)", async () => {
    const { runner } = runnerWith({ info: ok('{"ID":"","ServerVersion":"","SecurityOptions":null}', 1, NO_DAEMON) });
    const error = await rejection(runner.info());
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toContain("Is the docker daemon running?");
  });

  it("info that never answers: QUS_ENGINE_UNREACHABLE naming the endpoint, what was tried and the bound", async () => {
    const { runner, calls } = runnerWith({ info: timedOut() }, { engineTimeoutMs: 2_000 });
    const error = await rejection(runner.info());
    expect(calls[0]?.options?.timeoutMs).toBe(2_000);
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toBe(
      "cannot reach the container engine at the default endpoint: `docker info` did not answer within 2 s",
    );
    expect(error.hint).toContain("QUS_ENGINE_TIMEOUT=60");
  });

  it("info that fails and prints nothing: the message still says what happened", async () => {
    const { runner } = runnerWith({ info: ok("", 1, "") });
    const error = await rejection(runner.info());
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toMatch(/: `docker info` failed: it exited with status 1 and printed nothing$/);
    expect(error.message).not.toMatch(/:\s*$/);
  });

  it("info that prints something else than JSON with status 0: a broken client (QUS_ENGINE_UNREACHABLE) quoting it", async () => {
    const { runner } = runnerWith({ info: ok("podman says hello") });
    const error = await rejection(runner.info());
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toContain('"podman says hello"');
  });

  it("QUS_ENGINE_TIMEOUT in the environment sets the engine timeout, in seconds", async () => {
    expect(engineTimeoutFromEnv({})).toBeUndefined();
    expect(engineTimeoutFromEnv({ QUS_ENGINE_TIMEOUT: "2.5" })).toBe(2_500);
    expect(engineTimeoutFromEnv({ QUS_ENGINE_TIMEOUT: " " })).toBeUndefined();
    for (const bad of ["0", "-1", "abc", "1e9", "Infinity"]) {
      const error = caught(() => engineTimeoutFromEnv({ QUS_ENGINE_TIMEOUT: bad }));
      expect(error.code).toBe("QUS_USAGE");
      expect(error.message).toContain(JSON.stringify(bad));
    }
    const saved = process.env.QUS_ENGINE_TIMEOUT;
    process.env.QUS_ENGINE_TIMEOUT = "3";
    try {
      const { runner, calls } = runnerWith({ info: ok(RECORDED_INFO) });
      await runner.info();
      expect(calls[0]?.options?.timeoutMs).toBe(3_000);
    } finally {
      if (saved === undefined) delete process.env.QUS_ENGINE_TIMEOUT;
      else process.env.QUS_ENGINE_TIMEOUT = saved;
    }
  });

  it("an unknown --context: QUS_USAGE naming it (quoted for a shell), with docker context ls", async () => {
    const name = "a b$(id)";
    const { runner } = runnerWith(
      {
        info: ok(
          "",
          1,
          `Failed to initialize: unable to resolve docker endpoint: context "${name}": context not found: open /root/.docker/contexts/meta/e071/meta.json: no such file or directory`,
        ),
      },
      { context: name },
    );
    const error = await rejection(runner.info());
    expect(error.code).toBe("QUS_USAGE");
    expect(error.message).toBe("the docker context 'a b$(id)' does not exist");
    expect(error.hint).toContain("docker context ls");
  });

  it("an unknown DOCKER_CONTEXT, and docker's older wording", async () => {
    const saved = process.env.DOCKER_CONTEXT;
    process.env.DOCKER_CONTEXT = "gone";
    try {
      const { runner } = runnerWith({ info: ok("", 1, 'context "gone" does not exist') });
      const error = await rejection(runner.info());
      expect(error.code).toBe("QUS_USAGE");
      expect(error.message).toBe("the docker context gone (from DOCKER_CONTEXT) does not exist");
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONTEXT;
      else process.env.DOCKER_CONTEXT = saved;
    }
  });

  it("a DOCKER_HOST docker cannot parse: QUS_USAGE", async () => {
    const { runner } = runnerWith({
      info: ok("", 1, "Failed to initialize: unable to resolve docker endpoint: invalid bind address format: foo://x"),
    });
    const error = await rejection(runner.info());
    expect(error.code).toBe("QUS_USAGE");
    expect(error.message).toContain("invalid bind address format: foo://x");
    expect(error.hint).toContain("DOCKER_HOST");
  });

  it("an empty context name is refused at once", () => {
    const error = caught(() => createDockerCliRunner({ context: " " }));
    expect(error.code).toBe("QUS_USAGE");
  });

  it("no docker client: QUS_ENGINE_UNREACHABLE saying so", async () => {
    const exec: Exec = async () => ({ ...ok(), exitCode: undefined, startError: "ENOENT" });
    const error = await rejection(createDockerCliRunner({ exec }).info());
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toContain("not installed");
  });

  it("imageLabels: the labels, {} for none, undefined when the engine lacks the image", async () => {
    const labels = fakeExec({ image: ok('{"org.qus.qemu.version":"7.2"}') });
    expect(await createDockerCliRunner({ exec: labels.exec }).imageLabels(QUS_IMAGE)).toEqual({
      "org.qus.qemu.version": "7.2",
    });
    expect(labels.calls[0]?.args).toEqual(["image", "inspect", "--format", "{{json .Config.Labels}}", "--", QUS_IMAGE]);
    expect(labels.calls[0]?.options?.timeoutMs).toBe(DEFAULT_ENGINE_TIMEOUT_MS);
    const none = fakeExec({ image: ok("null") });
    expect(await createDockerCliRunner({ exec: none.exec }).imageLabels("x")).toEqual({});
    const missing = fakeExec({ image: ok("", 1, "Error response from daemon: no such image: x: No such image: x") });
    expect(await createDockerCliRunner({ exec: missing.exec }).imageLabels("x")).toBeUndefined();
  });

  it("imageLabels when the engine stopped answering: unreachable, not an image that is missing", async () => {
    const down = runnerWith({ image: ok("", 1, NO_DAEMON) });
    expect((await rejection(down.runner.imageLabels("x"))).code).toBe("QUS_ENGINE_UNREACHABLE");
    const hung = runnerWith({ image: timedOut() });
    const error = await rejection(hung.runner.imageLabels("x"));
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toContain("`docker image inspect` did not answer within 15 s");
  });

  it("imageLabels: another failure, or labels that do not parse: QUS_EXEC_FAILED with what docker said", async () => {
    const failed = runnerWith({ image: ok("", 1, "Error response from daemon: layer does not exist") });
    const error = await rejection(failed.runner.imageLabels("x"));
    expect(error.code).toBe("QUS_EXEC_FAILED");
    expect(error.message).toContain("layer does not exist");
    for (const stdout of ["{oops", "[]", '"text"']) {
      const garbled = runnerWith({ image: ok(stdout) });
      expect((await rejection(garbled.runner.imageLabels("x"))).code).toBe("QUS_EXEC_FAILED");
    }
  });

  it("run: one docker run, named qus-helper-<random>, bounded by the spec's timeout, nothing removed after a clean end", async () => {
    const { runner, calls, cleanups } = runnerWith({ run: ok("done") });
    const result = await runner.run({ ...SPEC, timeoutMs: 5_000 });
    expect(result).toEqual({ kind: "ran", exitCode: 0, stdout: "done", stderr: "" });
    // docker info first (is AppArmor there to lift?), then the run.
    expect(calls.map((call) => call.args[0])).toEqual(["info", "run"]);
    const name = calls[1]?.args[3]?.replace("--name=", "") ?? "";
    expect(name).toMatch(new RegExp(`^${CONTAINER_NAME_PREFIX}[0-9a-f]{12}$`));
    expect(calls[1]?.args).toEqual(dockerRunArgs(SPEC, name));
    expect(calls[1]?.options?.timeoutMs).toBe(5_000);
    expect(cleanups.size).toBe(0);
  });

  it("run: intent in docker's terms, asking docker info once: apparmor=unconfined only where AppArmor confines", async () => {
    const apparmor = JSON.stringify({
      Architecture: "x86_64",
      ServerVersion: "24.0.7",
      SecurityOptions: ["name=apparmor"],
    });
    const { runner, calls } = runnerWith({ info: ok(apparmor) });
    expect((await runner.info()).cpu).toBe("x86_64");
    await runner.run(SPEC);
    await runner.run({ ...SPEC, privilege: "full" });
    await runner.run({ ...SPEC, needsBinfmtMount: false });
    expect(calls.map((call) => call.args[0])).toEqual(["info", "run", "run", "run"]);
    const options = calls
      .slice(1)
      .map((call) => call.args.filter((arg) => /^--(cap-add|security-opt|privileged)/.test(arg)));
    expect(options).toEqual([["--cap-add=SYS_ADMIN", "--security-opt=apparmor=unconfined"], ["--privileged"], []]);
    expect(runner.describePrivilege("least")).toBe("--cap-add SYS_ADMIN");
    expect(runner.describePrivilege("full")).toBe("--privileged");
    expect(runner.name).toBe("docker");
    expect(runner.endpoint).toBe("the default endpoint");
  });

  it("run that outlives its bound: the docker CLI was killed, so the container is removed by name", async () => {
    const { runner, calls } = runnerWith({ run: timedOut("kernel 6.1.0") }, { runTimeoutMs: 7_000 });
    const result = await runner.run({ ...SPEC, needsBinfmtMount: false });
    expect(result).toMatchObject({ kind: "timed-out", stdout: "kernel 6.1.0" });
    expect(calls.map((call) => call.args[0])).toEqual(["run", "rm"]);
    expect(calls[0]?.options?.timeoutMs).toBe(7_000);
    const name = calls[0]?.args[3]?.replace("--name=", "");
    expect(calls[1]?.args).toEqual(["rm", "--force", "--", name]);
    expect(calls[1]?.options?.timeoutMs).toBe(DEFAULT_ENGINE_TIMEOUT_MS);
  });

  it("run whose container was killed, or that docker could not start: removed by name too", async () => {
    for (const answer of [ok("kernel 6.1.0", 137), ok("", 125, "docker: Error response from daemon: oops.")]) {
      const { runner, calls } = runnerWith({ run: answer });
      await runner.run(SPEC);
      expect(calls.map((call) => call.args[0])).toEqual(["info", "run", "rm"]);
    }
  });

  it("run while qus is interrupted: the clean-up it registered removes the container by name", async () => {
    let during: (() => void)[] = [];
    const { runner, calls, cleanups } = runnerWith({
      run: () => {
        during = [...cleanups];
        return ok("done");
      },
    });
    await runner.run(SPEC);
    expect(during).toHaveLength(1);
    expect(cleanups.size).toBe(0);
    expect(calls[1]?.args.some((arg) => arg.startsWith(`--name=${CONTAINER_NAME_PREFIX}`))).toBe(true);
  });

  it("run when the engine went away after docker info: QUS_ENGINE_UNREACHABLE naming docker run", async () => {
    const { runner } = runnerWith({
      run: ok("", 125, `docker: ${NO_DAEMON}\n\nRun 'docker run --help' for more information`),
    });
    const error = await rejection(runner.run(SPEC));
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toBe(
      `cannot reach the container engine at the default endpoint: \`docker run\` failed: docker: ${NO_DAEMON}`,
    );
  });

  it("run when the connection to the engine broke while attached: QUS_ENGINE_UNREACHABLE, not a helper failure", async () => {
    const { runner } = runnerWith({
      run: ok(
        "mounted",
        125,
        'time="2026-11-27T15:52:49Z" level=error msg="error waiting for container: unexpected EOF"',
      ),
    });
    const error = await rejection(runner.run(SPEC));
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toContain("the connection broke during `docker run`");
    expect(error.message).toContain("unexpected EOF");
  });

  it("runProgram: create (named), copy the program in, start attached, and always remove", async () => {
    const { exec, calls } = fakeExec({
      create: ok("0123456789abcdef"),
      start: ok("", 1, "exec /qus-program: exec format error"),
    });
    const spec = {
      image: "tonistiigi/binfmt:qemu-v10.2.3-68",
      needsBinfmtMount: false,
      privilege: "least" as const,
      timeoutMs: 30_000,
    };
    const program = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]);
    const result = await createDockerCliRunner({ exec }).runProgram(spec, program);

    expect(result).toEqual({
      kind: "not-started",
      reason: "exec-format",
      detail: "exec /qus-program: exec format error",
    });
    expect(calls.map((call) => call.args[0])).toEqual(["create", "cp", "start", "rm"]);
    const name = calls[0]?.args[1]?.replace("--name=", "") ?? "";
    expect(name).toMatch(/^qus-helper-[0-9a-f]{12}$/);
    expect(calls[0]?.args).toEqual(dockerCreateArgs(spec, name));
    expect(calls[1]?.args.at(-1)).toBe(`${name}:${PROGRAM_PATH}`);
    expect(calls[1]?.copied?.equals(Buffer.from(program))).toBe(true);
    expect(calls[2]?.args).toEqual(["start", "--attach", "--", name]);
    expect(calls[2]?.options?.timeoutMs).toBe(30_000);
    expect(calls[3]?.args).toEqual(["rm", "--force", "--", name]);
  });

  it("runProgram when the program hangs: start is bounded, the result says timed out, the container is removed", async () => {
    const { exec, calls } = fakeExec({ create: ok("id"), start: timedOut() });
    const result = await createDockerCliRunner({ exec }).runProgram(
      { image: "x", needsBinfmtMount: false, privilege: "least", timeoutMs: 3_000 },
      new Uint8Array([1]),
    );
    expect(result.kind).toBe("timed-out");
    expect(calls.map((call) => call.args[0])).toEqual(["create", "cp", "start", "rm"]);
  });

  it("runProgram when create fails: its result, and the name removed in case the engine made it", async () => {
    const { exec, calls } = fakeExec({ create: ok("", 125, "Error: No such image: x") });
    const result = await createDockerCliRunner({ exec }).runProgram(
      { image: "x", needsBinfmtMount: false, privilege: "least" },
      new Uint8Array([1]),
    );
    expect(result).toEqual({ kind: "not-started", reason: "no-such-image", detail: "Error: No such image: x" });
    expect(calls.map((call) => call.args[0])).toEqual(["create", "rm"]);
  });

  it("runProgram when create does not answer: unreachable, and still removed by name", async () => {
    const { runner, calls } = runnerWith({ create: timedOut() });
    const error = await rejection(
      runner.runProgram({ image: "x", needsBinfmtMount: false, privilege: "least" }, new Uint8Array([1])),
    );
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toContain("`docker create` did not answer");
    expect(calls.map((call) => call.args[0])).toEqual(["create", "rm"]);
  });

  it("pull: docker pull --quiet, false when it fails or does not finish", async () => {
    const pulled = fakeExec({ pull: ok("sha256:abc") });
    expect(await createDockerCliRunner({ exec: pulled.exec }).pull("tonistiigi/binfmt:latest")).toBe(true);
    expect(pulled.calls[0]?.args).toEqual(["pull", "--quiet", "--", "tonistiigi/binfmt:latest"]);
    const offline = fakeExec({ pull: ok("", 1, "dial tcp: lookup registry-1.docker.io: no such host") });
    expect(await createDockerCliRunner({ exec: offline.exec }).pull("tonistiigi/binfmt:latest")).toBe(false);
    const stuck = fakeExec({ pull: timedOut() });
    expect(await createDockerCliRunner({ exec: stuck.exec }).pull("tonistiigi/binfmt:latest")).toBe(false);
  });
});

describe("describeRunFailure", () => {
  it("the last lines docker printed, without its usage reminder; never empty", () => {
    expect(
      describeRunFailure(
        ok("", 125, "docker: Error response from daemon: x.\n\nRun 'docker run --help' for more information"),
      ),
    ).toBe("docker: Error response from daemon: x.");
    expect(describeRunFailure(ok("", 3, ""))).toBe("it exited with status 3 and printed nothing");
    expect(describeRunFailure(timedOut())).toBe("it did not finish in time and was stopped");
    expect(describeRunFailure({ ...ok(), exitCode: undefined, signal: "SIGTERM" })).toBe("it was killed by SIGTERM");
  });
});

// podman's own words, recorded from podman 4.3.1 on Debian 12.
const PODMAN_NO_SERVICE =
  'Cannot connect to Podman. Please verify your connection to the Linux system using `podman system connection list`, or try `podman machine init` and `podman machine start` to manage a new Linux VM\nError: unable to connect to Podman socket: Get "http://d/v4.3.1/libpod/_ping": dial unix /nonexist: connect: no such file or directory';
const PODMAN_NO_CONNECTION = 'Error: failed to resolve active destination: "nope" service destination not found';
const PODMAN_RLIMIT =
  "Error: runc: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: OCI permission denied";

describe("parsePodmanInfo", () => {
  it("the recorded rootful engine: neutral facts, Go's amd64 as qus's x86_64, no confinement", () => {
    expect(parsePodmanInfo(PODMAN_INFO, "the default endpoint")).toEqual({
      info: {
        cpu: "x86_64",
        architecture: "amd64",
        version: "4.3.1",
        rootless: false,
        userns: false,
        endpoint: "the default endpoint",
      },
      confinement: { apparmor: false, selinux: false },
    });
  });

  it("the recorded rootless engine (as nobody): rootless, its own user namespace not counted twice", () => {
    expect(parsePodmanInfo(PODMAN_ROOTLESS_INFO, "e").info).toMatchObject({ rootless: true, userns: false });
  });

  it("AppArmor and SELinux, and a rootful podman that runs in a user namespace (hand-made)", () => {
    const json = JSON.stringify({
      host: {
        arch: "arm64",
        idMappings: { uidmap: [{ container_id: 0, host_id: 100000, size: 65536 }] },
        security: { rootless: false, apparmorEnabled: true, selinuxEnabled: true },
      },
      version: { Version: "5.2.0" },
    });
    expect(parsePodmanInfo(json, "e")).toMatchObject({
      info: { cpu: "aarch64", architecture: "arm64", userns: true, rootless: false },
      confinement: { apparmor: true, selinux: true },
    });
  });

  it("Go's architecture names as qus's cpus", () => {
    expect(["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le"].map(cpuOfEngineArch)).toEqual([
      "x86_64",
      "aarch64",
      "arm",
      "i386",
      "ppc64le",
      "s390x",
      "riscv64",
      "mips64el",
    ]);
    expect(cpuOfEngineArch("vax")).toBeUndefined();
  });

  it("output that is not podman's info: a broken client quoting it; no version: unreachable", () => {
    expect(caught(() => parsePodmanInfo("[]", "e")).code).toBe("QUS_ENGINE_UNREACHABLE");
    const error = caught(() => parsePodmanInfo('{"host":{}}', "e"));
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toBe("cannot reach the container engine at e: podman info reported no engine");
  });
});

describe("createPodmanCliRunner (fake Exec: no podman CLI involved)", () => {
  it("info: podman info --format json, with --connection first when one is given, bounded, named podman", async () => {
    const { exec, calls } = fakeExec({}, PODMAN_INFO);
    const runner = createPodmanCliRunner({ exec, connection: "remote box", podman: "/usr/bin/podman" });
    expect(runner.name).toBe("podman");
    expect(runner.endpoint).toBe("connection 'remote box'");
    const info = await runner.info();
    expect(calls[0]?.file).toBe("/usr/bin/podman");
    expect(calls[0]?.args).toEqual(["--connection", "remote box", "info", "--format", "json"]);
    expect(calls[0]?.options?.timeoutMs).toBe(DEFAULT_ENGINE_TIMEOUT_MS);
    expect(info).toMatchObject({ cpu: "x86_64", version: "4.3.1", endpoint: "connection 'remote box'" });
  });

  it("run: least privilege first, in podman's terms (--cap-add SYS_ADMIN), --privileged only for full", async () => {
    const { runner, calls, cleanups } = podmanWith({ run: ok("done") });
    await runner.run({ ...SPEC, timeoutMs: 5_000 });
    await runner.run({ ...SPEC, privilege: "full" });
    expect(calls.map((call) => call.args[0])).toEqual(["info", "run", "run"]);
    const name = calls[1]?.args[3]?.replace("--name=", "") ?? "";
    expect(name).toMatch(/^qus-helper-[0-9a-f]{12}$/);
    expect(calls[1]?.file).toBe("podman");
    expect(calls[1]?.args).toEqual([
      "run",
      "--rm",
      "--interactive",
      `--name=${name}`,
      "--network=none",
      "--pull=never",
      "--cap-add=SYS_ADMIN",
      "--",
      ...[SPEC.image, ...SPEC.command],
    ]);
    expect(calls[1]?.options?.timeoutMs).toBe(5_000);
    expect(calls[2]?.args).toContain("--privileged");
    expect(calls[2]?.args.some((arg) => arg.startsWith("--cap-add"))).toBe(false);
    expect(runner.describePrivilege("least")).toBe("--cap-add SYS_ADMIN");
    expect(cleanups.size).toBe(0);
  });

  it("an AppArmor podman: apparmor=unconfined for the mount, as with docker", async () => {
    const apparmor = JSON.stringify({
      host: { arch: "amd64", security: { apparmorEnabled: true } },
      version: { Version: "4.9.3" },
    });
    const { runner, calls } = podmanWith({ info: ok(apparmor), run: ok("done") });
    await runner.run(SPEC);
    expect(calls[1]?.args).toContain("--security-opt=apparmor=unconfined");
  });

  it("run that outlives its bound or fails: the named container is removed with podman rm --force", async () => {
    const { runner, calls } = podmanWith({ run: timedOut("mounted") }, { runTimeoutMs: 7_000 });
    const result = await runner.run(SPEC);
    expect(result).toMatchObject({ kind: "timed-out", stdout: "mounted" });
    expect(calls.map((call) => call.args[0])).toEqual(["info", "run", "rm"]);
    expect(calls[1]?.options?.timeoutMs).toBe(7_000);
    const name = calls[1]?.args[3]?.replace("--name=", "");
    expect(calls[2]?.args).toEqual(["rm", "--force", "--", name]);
  });

  it("run while qus is interrupted: the clean-up it registered removes the container", async () => {
    let during = 0;
    const { runner, cleanups } = podmanWith({
      run: () => {
        during = cleanups.size;
        return ok("done");
      },
    });
    await runner.run(SPEC);
    expect(during).toBe(1);
    expect(cleanups.size).toBe(0);
  });

  it("runProgram: podman create, cp, start --attach, and always rm", async () => {
    const { runner, calls } = podmanWith({ start: ok("", 1, "exec /qus-program: exec format error") });
    const result = await runner.runProgram(
      { image: "tonistiigi/binfmt:qemu-v10.2.3-68", needsBinfmtMount: false, privilege: "least", timeoutMs: 30_000 },
      new Uint8Array([0x7f, 0x45, 0x4c, 0x46]),
    );
    expect(result).toMatchObject({ kind: "not-started", reason: "exec-format" });
    // No mount asked: no capability, and no need to ask podman info first.
    expect(calls.map((call) => call.args[0])).toEqual(["create", "cp", "start", "rm"]);
    const name = calls[0]?.args[1]?.replace("--name=", "") ?? "";
    expect(calls[0]?.args).toEqual(
      createArgs(
        { image: "tonistiigi/binfmt:qemu-v10.2.3-68", needsBinfmtMount: false, privilege: "least" },
        UNCONFINED,
        name,
      ),
    );
    expect(calls[1]?.args.at(-1)).toBe(`${name}:${PROGRAM_PATH}`);
    expect(calls[2]?.args).toEqual(["start", "--attach", "--", name]);
    expect(calls[3]?.args).toEqual(["rm", "--force", "--", name]);
  });

  it("imageLabels: podman's 'image not known' is an image the engine lacks", async () => {
    const { runner, calls } = podmanWith({
      image: ok("", 125, "Error: inspecting object: nope:latest: image not known"),
    });
    expect(await runner.imageLabels("nope:latest")).toBeUndefined();
    expect(calls[0]?.args).toEqual(["image", "inspect", "--format", "{{json .Config.Labels}}", "--", "nope:latest"]);
  });

  it("no podman service at CONTAINER_HOST: QUS_ENGINE_UNREACHABLE naming podman info", async () => {
    const { runner } = podmanWith({ info: ok("", 125, PODMAN_NO_SERVICE) });
    const error = await rejection(runner.info());
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toContain("`podman info` failed: Cannot connect to Podman.");
  });

  it("an unknown --connection: QUS_USAGE naming it, with podman system connection list", async () => {
    const { runner } = podmanWith({ info: ok("", 125, PODMAN_NO_CONNECTION) }, { connection: "nope" });
    const error = await rejection(runner.info());
    expect(error.code).toBe("QUS_USAGE");
    expect(error.message).toBe("the podman connection nope does not exist");
    expect(error.hint).toContain("podman system connection list");
    expect(caught(() => createPodmanCliRunner({ connection: "" })).code).toBe("QUS_USAGE");
  });

  it("podman that cannot set its default ulimits (no CAP_SYS_RESOURCE): says how to configure it", async () => {
    const { runner } = podmanWith({ run: ok("", 126, PODMAN_RLIMIT) });
    const error = await rejection(runner.run(SPEC));
    expect(error.code).toBe("QUS_PRIVILEGE_DENIED");
    expect(error.message).toContain("error setting rlimit type 7");
    expect(error.hint).toContain("default_ulimits = []");
  });

  it("rootless podman (recorded as nobody): the container driver refuses it with QUS_ENGINE_ROOTLESS, nothing run", async () => {
    const { runner, calls } = podmanWith({ info: ok(PODMAN_ROOTLESS_INFO), image: ok("null") });
    const driver = createContainerDriver({ runner });
    expect(driver.name).toBe("podman");
    const error = await rejection(driver.inspect({ targets: [], mount: true, verify: false }));
    expect(error.code).toBe("QUS_ENGINE_ROOTLESS");
    expect(error.message).toBe(
      "the podman engine at the default endpoint is rootless: its containers cannot register in the host kernel",
    );
    expect(calls.map((call) => call.args[0])).toEqual(["info", "image"]);
  });

  it("no podman client: QUS_ENGINE_UNREACHABLE saying how to install it", async () => {
    const exec: Exec = async () => ({ ...ok(), exitCode: undefined, startError: "ENOENT" });
    const error = await rejection(createPodmanCliRunner({ exec }).info());
    expect(error.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error.message).toBe("the podman client (podman) is not installed");
    expect(error.hint).toContain("apt-get install podman");
  });
});

describe("buildImage through a CLI runner", () => {
  it("docker and podman: build --tag ... -- DIR, bounded (600 s by default)", async () => {
    for (const make of [runnerWith, podmanWith]) {
      const { runner, calls } = make({ build: ok("Successfully built") });
      await runner.buildImage({ contextDir: "/tmp/ctx", tags: [QUS_IMAGE, `${QUS_IMAGE}-qemu-7.2.22`] });
      expect(calls[0]?.file).toBe(runner.name);
      expect(calls[0]?.args).toEqual([
        "build",
        "--tag",
        QUS_IMAGE,
        "--tag",
        `${QUS_IMAGE}-qemu-7.2.22`,
        "--",
        "/tmp/ctx",
      ]);
      expect(calls[0]?.options?.timeoutMs).toBe(600_000);
    }
  });

  it("docker and podman: another platform's image is built with --platform", async () => {
    for (const make of [runnerWith, podmanWith]) {
      const { runner, calls } = make({ build: ok("Successfully built") });
      await runner.buildImage({ contextDir: "/tmp/ctx", tags: [QUS_IMAGE], platform: "linux/arm64" });
      expect(calls[0]?.args).toEqual(["build", "--platform", "linux/arm64", "--tag", QUS_IMAGE, "--", "/tmp/ctx"]);
    }
  });

  it("a failed build: QUS_IMAGE_BUILD_FAILED with what the engine said; one past its bound: QUS_TIMEOUT", async () => {
    const failed = podmanWith({ build: ok("", 1, "STEP 3/9: RUN x\nError: building at STEP: exit status 1") });
    const error = await rejection(failed.runner.buildImage({ contextDir: "/c", tags: ["t:1"] }));
    expect(error.code).toBe("QUS_IMAGE_BUILD_FAILED");
    expect(error.message).toBe(
      "podman build of t:1 on the engine at the default endpoint failed: STEP 3/9: RUN x Error: building at STEP: exit status 1",
    );
    const hung = runnerWith({ build: timedOut() });
    const late = await rejection(hung.runner.buildImage({ contextDir: "/c", tags: ["t:1"], timeoutMs: 2_000 }));
    expect(late.code).toBe("QUS_TIMEOUT");
    expect(late.message).toBe("docker build --tag t:1 -- /c did not finish within 2 s");
    expect(late.hint).toContain("BuildKit");
  });
});
