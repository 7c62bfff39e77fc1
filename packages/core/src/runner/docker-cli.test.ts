import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isQusError, type QusError } from "../errors.js";
import type { Exec, ExecOptions, ExecResult } from "../exec.js";
import { createDockerCliRunner, dockerCreateArgs, dockerRunArgs, PROGRAM_PATH, parseDockerInfo } from "./docker-cli.js";
import type { RunSpec } from "./types.js";

// `docker info --format '{{json .}}'` of the engine the kernel tests run on (docker 20.10.24, CLI 28.2.2).
const RECORDED_INFO = readFileSync(new URL("../../test-fixtures/container/docker-info.json", import.meta.url), "utf8");

const SPEC: RunSpec = {
  image: "qus-binfmt:latest",
  command: ["sh", "-c", "echo 'two words'\necho done", "qus-helper", "marker=AAAA"],
  privileged: false,
  capAdd: ["SYS_ADMIN"],
  securityOpt: [],
};

function caught(action: () => unknown): QusError {
  try {
    action();
  } catch (error) {
    if (isQusError(error)) return error;
    throw error;
  }
  throw new Error("expected a QusError");
}

describe("dockerRunArgs and dockerCreateArgs (argv arrays, no shell)", () => {
  it("least privilege by default: --cap-add, no network, never pulls, command passed through as is", () => {
    expect(dockerRunArgs(SPEC)).toEqual([
      "run",
      "--rm",
      "--interactive",
      "--network=none",
      "--pull=never",
      "--cap-add=SYS_ADMIN",
      "qus-binfmt:latest",
      "sh",
      "-c",
      "echo 'two words'\necho done",
      "qus-helper",
      "marker=AAAA",
    ]);
  });

  it("--privileged replaces --cap-add", () => {
    const args = dockerRunArgs({ ...SPEC, privileged: true });
    expect(args).toContain("--privileged");
    expect(args.some((arg) => arg.startsWith("--cap-add"))).toBe(false);
  });

  it("security options, platform and entrypoint come before the image", () => {
    const args = dockerRunArgs({
      ...SPEC,
      capAdd: ["SYS_ADMIN", "MKNOD"],
      securityOpt: ["apparmor=unconfined"],
      platform: "linux/arm64",
      entrypoint: "/bin/busybox",
    });
    const image = args.indexOf("qus-binfmt:latest");
    expect(args.slice(3, image)).toEqual([
      "--network=none",
      "--pull=never",
      "--cap-add=SYS_ADMIN",
      "--cap-add=MKNOD",
      "--security-opt=apparmor=unconfined",
      "--platform=linux/arm64",
      "--entrypoint=/bin/busybox",
    ]);
    expect(args.slice(image + 1)).toEqual(SPEC.command);
  });

  it("an empty entrypoint is passed (it clears the image's), an absent one is not", () => {
    expect(dockerRunArgs({ ...SPEC, entrypoint: "" })).toContain("--entrypoint=");
    expect(dockerRunArgs(SPEC).some((arg) => arg.startsWith("--entrypoint"))).toBe(false);
  });

  it("docker create: the program path as entrypoint, no command, no --rm", () => {
    expect(
      dockerCreateArgs({
        image: "tonistiigi/binfmt:qemu-v10.2.3-68",
        privileged: false,
        capAdd: ["SYS_ADMIN"],
        securityOpt: ["apparmor=unconfined"],
      }),
    ).toEqual([
      "create",
      "--network=none",
      "--pull=never",
      "--cap-add=SYS_ADMIN",
      "--security-opt=apparmor=unconfined",
      `--entrypoint=${PROGRAM_PATH}`,
      "tonistiigi/binfmt:qemu-v10.2.3-68",
    ]);
  });
});

describe("parseDockerInfo", () => {
  it("a recorded rootful engine without AppArmor", () => {
    expect(parseDockerInfo(RECORDED_INFO, "the default engine")).toEqual({
      architecture: "x86_64",
      serverVersion: "20.10.24+dfsg1",
      rootless: false,
      userns: false,
      apparmor: false,
      endpoint: "the default engine",
    });
  });

  it("rootless (hand-made): name=rootless among the security options", () => {
    const json = JSON.stringify({
      Architecture: "aarch64",
      ServerVersion: "27.3.1",
      SecurityOptions: ["name=seccomp,profile=default", "name=rootless"],
    });
    expect(parseDockerInfo(json, "context rootless")).toMatchObject({
      architecture: "aarch64",
      rootless: true,
      userns: false,
      apparmor: false,
    });
  });

  it("userns-remap with AppArmor (hand-made)", () => {
    const json = JSON.stringify({
      Architecture: "x86_64",
      ServerVersion: "24.0.7",
      SecurityOptions: ["name=apparmor", "name=seccomp,profile=builtin", "name=userns"],
    });
    expect(parseDockerInfo(json, "tcp://10.0.0.2:2376")).toMatchObject({
      rootless: false,
      userns: true,
      apparmor: true,
    });
  });

  it("option names are matched whole: a seccomp profile named rootless is not rootless", () => {
    const json = JSON.stringify({ ServerVersion: "24.0.7", SecurityOptions: ["name=seccomp,profile=rootless"] });
    expect(parseDockerInfo(json, "e")).toMatchObject({ rootless: false });
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

/** An Exec that answers docker commands by their subcommand and records the argv: no docker CLI runs. */
function fakeExec(answers: Record<string, ExecResult>): { exec: Exec; calls: Call[] } {
  const calls: Call[] = [];
  const exec: Exec = async (file, args, options) => {
    const subcommand = args.find((arg) => !arg.startsWith("-") && arg !== "ctx") ?? "";
    const copied = subcommand === "cp" ? readFileSync(args.at(-2) ?? "") : undefined;
    calls.push({ file, args: [...args], options, copied });
    return answers[subcommand] ?? ok();
  };
  return { exec, calls };
}

describe("createDockerCliRunner (fake Exec: no docker CLI involved)", () => {
  it("info: docker info --format {{json .}}, with --context first when one is given", async () => {
    const { exec, calls } = fakeExec({ info: ok(RECORDED_INFO) });
    const info = await createDockerCliRunner({ exec, context: "ctx", docker: "/usr/bin/docker" }).info();
    expect(calls[0]?.file).toBe("/usr/bin/docker");
    expect(calls[0]?.args).toEqual(["--context", "ctx", "info", "--format", "{{json .}}"]);
    expect(info).toMatchObject({ architecture: "x86_64", endpoint: "context ctx" });
  });

  it("info when the daemon is down (CLI 28: JSON without a server, the error on stderr, exit 1)", async () => {
    const { exec } = fakeExec({
      info: ok(
        '{"ID":"","ServerVersion":"","SecurityOptions":null}',
        1,
        "Cannot connect to the Docker daemon at unix:///tmp/nonexistent.sock. Is the docker daemon running?",
      ),
    });
    const error = await createDockerCliRunner({ exec })
      .info()
      .then(
        () => undefined,
        (caughtError: unknown) => caughtError as QusError,
      );
    expect(error?.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error?.message).toContain("Is the docker daemon running?");
  });

  it("no docker client: QUS_ENGINE_UNREACHABLE saying so", async () => {
    const exec: Exec = async () => ({ ...ok(), exitCode: undefined, startError: "ENOENT" });
    const error = await createDockerCliRunner({ exec })
      .info()
      .then(
        () => undefined,
        (caughtError: unknown) => caughtError as QusError,
      );
    expect(error?.code).toBe("QUS_ENGINE_UNREACHABLE");
    expect(error?.message).toContain("not installed");
  });

  it("imageLabels: the labels, {} for none, undefined when the engine lacks the image", async () => {
    const labels = fakeExec({ image: ok('{"org.qus.qemu.version":"7.2"}') });
    expect(await createDockerCliRunner({ exec: labels.exec }).imageLabels("qus-binfmt:latest")).toEqual({
      "org.qus.qemu.version": "7.2",
    });
    expect(labels.calls[0]?.args).toEqual([
      "image",
      "inspect",
      "--format",
      "{{json .Config.Labels}}",
      "qus-binfmt:latest",
    ]);
    const none = fakeExec({ image: ok("null") });
    expect(await createDockerCliRunner({ exec: none.exec }).imageLabels("x")).toEqual({});
    const missing = fakeExec({ image: ok("", 1, "Error: No such image: x") });
    expect(await createDockerCliRunner({ exec: missing.exec }).imageLabels("x")).toBeUndefined();
  });

  it("run: one docker run with dockerRunArgs", async () => {
    const { exec, calls } = fakeExec({ run: ok("done") });
    const result = await createDockerCliRunner({ exec }).run(SPEC);
    expect(result.stdout).toBe("done");
    expect(calls.map((call) => call.args)).toEqual([dockerRunArgs(SPEC)]);
  });

  it("runProgram: create, copy the program in, start attached, and always remove", async () => {
    const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const { exec, calls } = fakeExec({
      create: ok(id),
      start: ok("", 1, "exec /qus-program: exec format error"),
    });
    const spec = {
      image: "tonistiigi/binfmt:qemu-v10.2.3-68",
      privileged: false,
      capAdd: ["SYS_ADMIN"],
      securityOpt: [],
    };
    const program = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]);
    const result = await createDockerCliRunner({ exec }).runProgram(spec, program);

    expect(result.stderr).toBe("exec /qus-program: exec format error");
    expect(calls.map((call) => call.args[0])).toEqual(["create", "cp", "start", "rm"]);
    expect(calls[0]?.args).toEqual(dockerCreateArgs(spec));
    expect(calls[1]?.args.at(-1)).toBe(`${id}:${PROGRAM_PATH}`);
    expect(calls[1]?.copied?.equals(Buffer.from(program))).toBe(true);
    expect(calls[2]?.args).toEqual(["start", "--attach", id]);
    expect(calls[3]?.args).toEqual(["rm", "--force", id]);
  });

  it("runProgram when create fails: its result, nothing else run", async () => {
    const { exec, calls } = fakeExec({ create: ok("", 125, "Error: No such image: x") });
    const result = await createDockerCliRunner({ exec }).runProgram(
      { image: "x", privileged: false, capAdd: [], securityOpt: [] },
      new Uint8Array([1]),
    );
    expect(result.exitCode).toBe(125);
    expect(calls).toHaveLength(1);
  });

  it("pull: docker pull --quiet, false when it fails", async () => {
    const pulled = fakeExec({ pull: ok("sha256:abc") });
    expect(await createDockerCliRunner({ exec: pulled.exec }).pull("tonistiigi/binfmt:latest")).toBe(true);
    expect(pulled.calls[0]?.args).toEqual(["pull", "--quiet", "tonistiigi/binfmt:latest"]);
    const offline = fakeExec({ pull: ok("", 1, "dial tcp: lookup registry-1.docker.io: no such host") });
    expect(await createDockerCliRunner({ exec: offline.exec }).pull("tonistiigi/binfmt:latest")).toBe(false);
  });
});
