import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isQusError, QusError } from "../../errors.js";
import type { ExecResult } from "../../exec.js";
import { verify } from "../../operations/status.js";
import { cliOutcome } from "../../runner/cli-output.js";
import { parseDockerInfo } from "../../runner/docker-cli.js";
import type { ContainerRunner, EngineInfo, RunSpec } from "../../runner/types.js";
import { type Target, targetByCpu } from "../../targets.js";
import { rejection } from "../../test-support.js";
import { HELPER_SCRIPT } from "./helper-script.js";
import { createContainerDriver, isImageReference, QUS_IMAGE } from "./index.js";
import { TONISTIIGI_IMAGE } from "./tonistiigi.js";

// Recorded from the real helper (see the fixture's `# source:` line): five qemu entries, aarch64 found and probed.
const HELPER_OUTPUT = readFileSync(
  new URL("../../../test-fixtures/container/helper-inspect.txt", import.meta.url),
  "utf8",
);
const TONISTIIGI_STATUS = JSON.stringify({ supported: ["linux/amd64", "linux/arm64"], emulators: ["qemu-aarch64"] });

const QUS_LABELS = { "org.qus.qemu.version": "qemu-aarch64 version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" };

// The engine the kernel tests run on, as the docker runner reads its recorded `docker info`.
const ENGINE: EngineInfo = parseDockerInfo(
  readFileSync(new URL("../../../test-fixtures/container/docker-info.json", import.meta.url), "utf8"),
  "the default endpoint",
).info;

function result(stdout: string, exitCode = 0, stderr = ""): ExecResult {
  return { exitCode, signal: undefined, stdout, stderr, startError: undefined, timedOut: false };
}

function target(cpu: string): Target {
  const found = targetByCpu(cpu);
  if (!found) throw new Error(`no target ${cpu}`);
  return found;
}

interface FakeOptions {
  readonly engine?: Partial<EngineInfo>;
  /** Images the engine has, with their labels. */
  readonly images?: Record<string, Record<string, string>>;
  /** Images a pull would fetch. */
  readonly pullable?: readonly string[];
  /** The labels a pulled image has: none by default. */
  readonly pulled?: Record<string, string>;
  /** Answers a `run`; by default the recorded helper output for the helper, the status JSON for tonistiigi. */
  readonly run?: (spec: RunSpec) => ExecResult;
}

/** A ContainerRunner that records every call and answers from memory: no engine, no docker CLI. */
function fakeRunner(options: FakeOptions = {}) {
  const images = new Map(Object.entries(options.images ?? {}));
  const calls = { info: 0, imageLabels: [] as string[], pull: [] as string[], run: [] as RunSpec[], runProgram: 0 };
  const runner: ContainerRunner = {
    name: "fake",
    endpoint: "the default endpoint",
    describePrivilege: (privilege) => (privilege === "full" ? "--privileged" : "--cap-add SYS_ADMIN"),
    buildImage: async () => {
      throw new Error("no image builds here");
    },
    async info() {
      calls.info++;
      return { ...ENGINE, ...options.engine };
    },
    async imageLabels(image) {
      calls.imageLabels.push(image);
      return images.get(image);
    },
    async pull(image) {
      calls.pull.push(image);
      if (!options.pullable?.includes(image)) return false;
      images.set(image, options.pulled ?? {});
      return true;
    },
    // Typed as the docker CLI runner types what its client printed (the answers are docker's).
    async run(spec) {
      calls.run.push(spec);
      if (options.run) return cliOutcome(options.run(spec), "docker");
      if (spec.entrypoint === "/bin/busybox") return cliOutcome(result(HELPER_OUTPUT), "docker");
      if (spec.command.length === 0) return cliOutcome(result(TONISTIIGI_STATUS), "docker");
      return cliOutcome(result("", 0, "binfmt/a161c41 qemu/v7.0.0 go/1.18.3"), "docker");
    },
    async runProgram() {
      calls.runProgram++;
      return cliOutcome(result(""), "docker");
    },
  };
  return { runner, calls };
}

const INSPECT = { targets: [target("aarch64")], mount: true, verify: true };

describe("container driver (mock runner: no engine involved)", () => {
  describe("image selection", () => {
    it("qus's image present: helper mode, one busybox helper run that inspects and probes", async () => {
      const { runner, calls } = fakeRunner({ images: { [QUS_IMAGE]: QUS_LABELS } });
      const inspection = await createContainerDriver({ runner }).inspect(INSPECT);

      expect(calls.run).toHaveLength(1);
      const spec = calls.run[0] as RunSpec;
      expect(spec.image).toBe(QUS_IMAGE);
      expect(spec.entrypoint).toBe("/bin/busybox");
      expect(spec.command.slice(0, 2)).toEqual(["sh", "-c"]);
      expect(spec.command[3]).toBe("qus-helper");
      const args = spec.command.slice(4);
      expect(args[0]).toMatch(/^marker=[A-Za-z0-9+/]+=*$/);
      // The image's label gives QEMU's version, so the helper is told not to run the emulators for it.
      // Each probe is bounded inside the helper (20 s), and the image's label gives QEMU's version, so the
      // helper is told not to run the emulators for it.
      expect(args.slice(1, 4)).toEqual(["timeout=20", "noversion=1", "interp=aarch64"]);
      expect(args[4]).toMatch(/^probe=aarch64=[A-Za-z0-9+/]+=*$/);
      expect(args.some((arg) => /^(remove|enable|register)=/.test(arg))).toBe(false);
      // Intent, not flags: a mount of binfmt_misc with least privilege; the runner says how.
      expect(spec).toMatchObject({ needsBinfmtMount: true, privilege: "least" });
      // The container itself is bounded too, well above its probes' bound.
      expect(spec.timeoutMs).toBe(100_000);
      expect(calls.pull).toEqual([]);
      expect(calls.runProgram).toBe(0);

      expect(inspection.entries.map((entry) => entry.name)).toContain("qemu-aarch64");
      expect(inspection.probes.get("aarch64")).toMatchObject({ ok: true });
      expect(inspection.interpreters.get("aarch64")).toEqual({ path: "/usr/bin/qemu-aarch64-static", static: true });
      expect(inspection.kernel.release).toBe("6.18.44-fc-v669");
      expect(inspection.details).toMatchObject({
        image: QUS_IMAGE,
        privilege: "--cap-add SYS_ADMIN",
        qemuVersion: QUS_LABELS["org.qus.qemu.version"],
      });
    });

    it("asks the helper for the emulator QEMU's script names: qemu-i386 for i486", async () => {
      const { runner, calls } = fakeRunner({ images: { [QUS_IMAGE]: QUS_LABELS } });
      // The recorded helper output has no i486 probe, so the inspection fails; the run's arguments are what count.
      const inspection = createContainerDriver({ runner }).inspect({
        ...INSPECT,
        targets: [target("aarch64"), target("i486")],
      });
      await expect(inspection).rejects.toThrow(/probe of i486/);
      const args = (calls.run[0] as RunSpec).command.slice(4);
      expect(args.filter((arg) => arg.startsWith("interp="))).toEqual(["interp=aarch64", "interp=i486=qemu-i386"]);
    });

    it("qus's image absent, tonistiigi/binfmt present: the default is pulled, tonistiigi/binfmt never used", async () => {
      const { runner, calls } = fakeRunner({
        images: { [TONISTIIGI_IMAGE]: {} },
        pullable: [QUS_IMAGE],
        pulled: QUS_LABELS,
      });
      const inspection = await createContainerDriver({ runner, env: {} }).inspect(INSPECT);

      expect(calls.imageLabels).toEqual([QUS_IMAGE, QUS_IMAGE]);
      expect(calls.pull).toEqual([QUS_IMAGE]);
      expect(calls.run.every((spec) => spec.image === QUS_IMAGE && spec.entrypoint === "/bin/busybox")).toBe(true);
      expect(inspection.details).toMatchObject({ image: QUS_IMAGE });
    });

    it("the default absent and its pull fails: QUS_IMAGE_MISSING naming it, hint qus image build, no fallback", async () => {
      const { runner, calls } = fakeRunner({ images: { [TONISTIIGI_IMAGE]: {} }, pullable: [TONISTIIGI_IMAGE] });
      const error = await rejection(createContainerDriver({ runner, env: {} }).inspect(INSPECT));
      expect(error.code).toBe("QUS_IMAGE_MISSING");
      expect(error.message).toContain(QUS_IMAGE);
      expect(error.message).toContain("the default endpoint");
      expect(error.hint).toContain("qus image build");
      expect(error.hint).toContain("QUS_IMAGE");
      expect(calls.pull).toEqual([QUS_IMAGE]);
      expect(calls.imageLabels).not.toContain(TONISTIIGI_IMAGE);
      expect(calls.run).toEqual([]);
    });

    it("QUS_IMAGE in the environment replaces the default, and is pulled when missing", async () => {
      const image = "127.0.0.1:5000/qus/qus-binfmt:9";
      const { runner, calls } = fakeRunner({ pullable: [image], pulled: QUS_LABELS });
      const inspection = await createContainerDriver({ runner, env: { QUS_IMAGE: image } }).inspect(INSPECT);
      expect(calls.pull).toEqual([image]);
      expect(calls.run[0]).toMatchObject({ image, entrypoint: "/bin/busybox" });
      expect(inspection.details).toMatchObject({ image });
    });

    it("QUS_IMAGE may name tonistiigi/binfmt: then, and only then, it is driven", async () => {
      const { runner, calls } = fakeRunner({ images: { [TONISTIIGI_IMAGE]: {} } });
      const inspection = await createContainerDriver({ runner, env: { QUS_IMAGE: TONISTIIGI_IMAGE } }).inspect(INSPECT);
      expect(calls.pull).toEqual([]);
      expect(calls.run.every((spec) => spec.image === TONISTIIGI_IMAGE && spec.entrypoint === undefined)).toBe(true);
      expect(inspection.details).toMatchObject({ image: TONISTIIGI_IMAGE, installer: "tonistiigi/binfmt" });
    });

    it("--image wins over QUS_IMAGE; a QUS_IMAGE that is no reference is QUS_USAGE naming it", async () => {
      const { runner, calls } = fakeRunner({ images: { "registry.local/qus-binfmt:7": QUS_LABELS } });
      const env = { QUS_IMAGE: "elsewhere/qus-binfmt:1" };
      await createContainerDriver({ runner, env, image: "registry.local/qus-binfmt:7" }).inspect(INSPECT);
      expect(calls.imageLabels).toEqual(["registry.local/qus-binfmt:7"]);
      let thrown: unknown;
      try {
        createContainerDriver({ runner, env: { QUS_IMAGE: "qus binfmt" } });
      } catch (error) {
        thrown = error;
      }
      expect(isQusError(thrown) && thrown.code).toBe("QUS_USAGE");
      expect((thrown as Error).message).toContain('QUS_IMAGE="qus binfmt"');
    });

    it("an explicit image that is missing and cannot be pulled: QUS_IMAGE_MISSING naming it", async () => {
      const { runner, calls } = fakeRunner();
      const error = await rejection(
        createContainerDriver({ runner, image: "example.com/my-binfmt:1" }).inspect(INSPECT),
      );
      expect(error.code).toBe("QUS_IMAGE_MISSING");
      expect(error.message).toContain("example.com/my-binfmt:1");
      expect(error.hint).toContain("qus image build");
      expect(calls.pull).toEqual(["example.com/my-binfmt:1"]);
      expect(calls.run).toEqual([]);
    });

    it("an explicit image pulled without qus's labels: QUS_USAGE, nothing run", async () => {
      const { runner, calls } = fakeRunner({ pullable: ["example.com/my-binfmt:1"] });
      const error = await rejection(
        createContainerDriver({ runner, image: "example.com/my-binfmt:1" }).inspect(INSPECT),
      );
      expect(error.code).toBe("QUS_USAGE");
      expect(error.message).toContain("not an installer qus can use");
      expect(calls.run).toEqual([]);
    });

    it("an explicit tonistiigi/binfmt tag that is missing is pulled", async () => {
      const { runner, calls } = fakeRunner({ pullable: ["docker.io/tonistiigi/binfmt:latest"] });
      await createContainerDriver({ runner, image: "docker.io/tonistiigi/binfmt:latest" }).inspect(INSPECT);
      expect(calls.pull).toEqual(["docker.io/tonistiigi/binfmt:latest"]);
      expect(calls.run[0]).toMatchObject({ image: "docker.io/tonistiigi/binfmt:latest" });
    });

    it("an explicit image with qus's labels runs in helper mode", async () => {
      const { runner, calls } = fakeRunner({ images: { "registry.local/qus-binfmt:7": QUS_LABELS } });
      await createContainerDriver({ runner, image: "registry.local/qus-binfmt:7" }).inspect(INSPECT);
      expect(calls.run[0]).toMatchObject({ image: "registry.local/qus-binfmt:7", entrypoint: "/bin/busybox" });
    });

    it("an explicit local image without qus's labels: QUS_USAGE naming it and what to use, nothing run", async () => {
      const { runner, calls } = fakeRunner({ images: { "busybox:latest": { maintainer: "someone" } } });
      const error = await rejection(createContainerDriver({ runner, image: "busybox:latest" }).inspect(INSPECT));
      expect(error.code).toBe("QUS_USAGE");
      expect(error.message).toContain("busybox:latest");
      expect(error.message).toContain("not an installer qus can use");
      expect(error.hint).toContain("qus image build");
      expect(error.hint).toContain("tonistiigi/binfmt");
      expect(calls.run).toEqual([]);
      expect(calls.pull).toEqual([]);
    });

    it("the default reference taken by an image without qus's labels: QUS_IMAGE_MISSING, rebuild it", async () => {
      const { runner, calls } = fakeRunner({ images: { [QUS_IMAGE]: {}, [TONISTIIGI_IMAGE]: {} } });
      const error = await rejection(createContainerDriver({ runner, env: {} }).inspect(INSPECT));
      expect(error.code).toBe("QUS_IMAGE_MISSING");
      expect(error.message).toContain(QUS_IMAGE);
      expect(error.hint).toContain("qus image build");
      expect(calls.run).toEqual([]);
    });

    it.each(["$(id)", "qus binfmt", "it's", "--privileged", "-v/:/host", "Upper/Case", "a;b", "", "image:tag:other"])(
      "an --image that is no image reference (%j): QUS_USAGE before any docker call",
      (image) => {
        const { runner, calls } = fakeRunner();
        let thrown: unknown;
        try {
          createContainerDriver({ runner, image });
        } catch (error) {
          thrown = error;
        }
        expect(isQusError(thrown) && thrown.code).toBe("QUS_USAGE");
        expect((thrown as Error).message).toContain(JSON.stringify(image));
        expect(calls.info + calls.imageLabels.length + calls.run.length).toBe(0);
      },
    );

    it.each([
      QUS_IMAGE,
      "qus-binfmt:edge",
      "tonistiigi/binfmt:qemu-v10.2.3-68",
      "localhost:5000/team/qus-binfmt:7.2_x",
      "[::1]:5000/qus-binfmt",
      "Registry.Example.com/a/b__c",
      `qus-binfmt@sha256:${"a".repeat(64)}`,
      "0123456789ab",
    ])("%s is an image reference", (image) => {
      expect(isImageReference(image)).toBe(true);
    });

    it("the engine does not answer: docker info's error is the one shown, not image inspect's", async () => {
      const { runner } = fakeRunner();
      const down = new QusError("QUS_ENGINE_UNREACHABLE", "cannot reach the container engine at e: `docker info` ...");
      runner.info = async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw down;
      };
      runner.imageLabels = async () => {
        throw new QusError("QUS_ENGINE_UNREACHABLE", "cannot reach ...: `docker image inspect` ...");
      };
      expect(await rejection(createContainerDriver({ runner }).inspect(INSPECT))).toBe(down);
    });

    it("resolves the engine and the image once for every call", async () => {
      const { runner, calls } = fakeRunner({ images: { [QUS_IMAGE]: QUS_LABELS } });
      const driver = createContainerDriver({ runner });
      await Promise.all([driver.inspect(INSPECT), driver.inspect(INSPECT)]);
      await driver.remove(["qemu-aarch64"]);
      expect(calls.info).toBe(1);
      expect(calls.imageLabels).toEqual([QUS_IMAGE]);
    });
  });

  describe("engines whose containers cannot register in the host kernel", () => {
    it("a rootless engine: QUS_ENGINE_ROOTLESS before any container runs", async () => {
      const { runner, calls } = fakeRunner({ engine: { rootless: true }, images: { [QUS_IMAGE]: QUS_LABELS } });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_ENGINE_ROOTLESS");
      expect(error.message).toContain("rootless");
      expect(error.hint).toContain("--driver local");
      expect(calls.run).toEqual([]);
    });

    it("userns-remap: QUS_ENGINE_ROOTLESS, and nothing is pulled", async () => {
      const { runner, calls } = fakeRunner({ engine: { userns: true }, pullable: [TONISTIIGI_IMAGE] });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_ENGINE_ROOTLESS");
      expect(error.message).toContain("user namespace remapping");
      expect(calls.pull).toEqual([]);
      expect(calls.run).toEqual([]);
    });
  });

  describe("how the helper container is started", () => {
    it("reports carry the runner's own name and words: the driver is named after the runner", async () => {
      const { runner } = fakeRunner({ images: { [QUS_IMAGE]: QUS_LABELS } });
      const driver = createContainerDriver({ runner });
      expect(driver.name).toBe("fake");
      const inspection = await driver.inspect(INSPECT);
      expect(inspection.details).toMatchObject({ privilege: "--cap-add SYS_ADMIN", endpoint: "the default endpoint" });
    });

    it("--privileged when asked", async () => {
      const { runner, calls } = fakeRunner({ images: { [QUS_IMAGE]: QUS_LABELS } });
      const inspection = await createContainerDriver({ runner, privileged: true }).inspect(INSPECT);
      expect(calls.run[0]?.privilege).toBe("full");
      expect(inspection.details?.privilege).toBe("--privileged");
    });

    it("mounting binfmt_misc denied with SYS_ADMIN alone: retried once with --privileged", async () => {
      const { runner, calls } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: (spec) =>
          spec.privilege === "full" ? result(HELPER_OUTPUT) : result("mount-failed mount: permission denied "),
      });
      const inspection = await createContainerDriver({ runner }).inspect(INSPECT);
      expect(calls.run.map((spec) => spec.privilege)).toEqual(["least", "full"]);
      expect(inspection.details?.privilege).toBe("--privileged");
    });

    it("mounting denied and privileged: false asked: QUS_PRIVILEGE_DENIED for --cap-add, no retry", async () => {
      const { runner, calls } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () => result("mount-failed mount: permission denied "),
      });
      const error = await rejection(createContainerDriver({ runner, privileged: false }).inspect(INSPECT));
      expect(error.code).toBe("QUS_PRIVILEGE_DENIED");
      expect(error.message).toBe(
        "with --cap-add SYS_ADMIN, the helper container could not reach binfmt_misc: mounting binfmt_misc failed: mount: permission denied",
      );
      expect(error.hint).not.toContain("drop --privileged");
      expect(calls.run).toHaveLength(1);
    });

    it("--privileged asked and the engine refuses it: says so, and only then hints to drop it", async () => {
      const refusal =
        "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown";
      const { runner, calls } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () => result("", 125, refusal),
      });
      const error = await rejection(createContainerDriver({ runner, privileged: true }).inspect(INSPECT));
      expect(error.code).toBe("QUS_PRIVILEGE_DENIED");
      expect(error.message).toContain("refused the --privileged helper container");
      expect(error.message).toContain("unable to apply caps");
      expect(error.hint).toMatch(/^drop --privileged/);
      expect(calls.run).toHaveLength(1);
    });

    it("escalated by qus itself and refused both ways: each refusal with its own detail, no 'drop --privileged'", async () => {
      const { runner, calls } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: (spec) =>
          spec.privilege === "full"
            ? result(
                "",
                125,
                "docker: Error response from daemon: unable to apply caps: operation not permitted: unknown",
              )
            : result("mount-failed mount: permission denied (are you root?) "),
      });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(calls.run.map((spec) => spec.privilege)).toEqual(["least", "full"]);
      expect(error.code).toBe("QUS_PRIVILEGE_DENIED");
      expect(error.message).toBe(
        "the engine at the default endpoint refused both ways of reaching binfmt_misc: with --cap-add SYS_ADMIN, mounting binfmt_misc failed: mount: permission denied (are you root?); with --privileged, the engine would not start it: docker: Error response from daemon: unable to apply caps: operation not permitted: unknown",
      );
      expect(error.hint).not.toContain("drop --privileged");
    });

    it("a kernel without binfmt_misc: QUS_NO_BINFMT_MISC, not a privilege problem, no escalation", async () => {
      const { runner, calls } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () =>
          result("mount-failed mount: mounting binfmt_misc on /proc/sys/fs/binfmt_misc failed: No such device "),
      });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_NO_BINFMT_MISC");
      expect(error.message).toContain("No such device");
      expect(calls.run).toHaveLength(1);
    });

    it("a helper that stops before `done`: QUS_EXEC_FAILED with the last lines of its output", async () => {
      const { runner } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () => result("kernel 6.1.0", 2, "sh: syntax error: unexpected end of file"),
      });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_EXEC_FAILED");
      expect(error.message).toContain("failed before it finished: sh: syntax error: unexpected end of file");
    });

    it("output that does not parse, with status 0 and nothing on stderr: QUS_EXEC_FAILED, never an empty detail", async () => {
      const { runner } = fakeRunner({ images: { [QUS_IMAGE]: QUS_LABELS }, run: () => result("\u0000garbage\nmore") });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_EXEC_FAILED");
      expect(error.message).toMatch(/failed before it finished: .+/);
      expect(error.message).not.toMatch(/:\s*$/);
    });

    it("a helper killed mid-run (docker kill: status 137): says it was stopped, QUS_EXEC_FAILED", async () => {
      const { runner } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () => result("mounted\nkernel 6.1.0\nentry qemu-aarch64\n| enabled", 137),
      });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_EXEC_FAILED");
      expect(error.message).toContain("was stopped before it finished (status 137");
    });

    it("a helper container that outlives its bound: QUS_TIMEOUT saying it was stopped and removed", async () => {
      const { runner } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () => ({ ...result("mounted"), exitCode: undefined, signal: "SIGKILL", timedOut: true }),
      });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_TIMEOUT");
      expect(error.message).toContain("did not finish within 100 s");
      expect(error.message).toContain("stopped and removed");
    });

    it.each([
      [undefined, "QUS_IMAGE_MISSING"],
      ["registry.local/qus-binfmt:7", "QUS_USAGE"],
    ] as const)("an image with qus's labels but no busybox (--image %s): %s naming the image", async (image, code) => {
      const { runner } = fakeRunner({
        images: { [image ?? QUS_IMAGE]: QUS_LABELS },
        run: () =>
          result(
            "",
            127,
            'docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/bin/busybox": stat /bin/busybox: no such file or directory: unknown.',
          ),
      });
      const error = await rejection(createContainerDriver({ runner, image }).inspect(INSPECT));
      expect(error.code).toBe(code);
      expect(error.message).toContain(`the image ${image ?? QUS_IMAGE} is not a working qus installer`);
      expect(error.message).toContain("stat /bin/busybox");
      expect(error.hint).toContain("qus image build");
    });

    it("a busybox without the timeout applet: the image is not usable, nothing runs unbounded", async () => {
      const { runner } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () => result("fatal this busybox has no timeout applet"),
      });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_IMAGE_MISSING");
      expect(error.message).toContain("no timeout applet");
    });

    it("a helper that ends without a probe's result: QUS_EXEC_FAILED naming the probe, not 'no handler'", async () => {
      const { runner } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () => result(HELPER_OUTPUT.replace(/^probe .*$/m, "probe aarch64 x y")),
      });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_EXEC_FAILED");
      expect(error.message).toContain("without a result for the probe of aarch64");
    });
  });

  describe("a hung emulator", () => {
    it("the helper is told the probe bound; a probe killed there is reported as timed out: the emulator hung", async () => {
      const { runner, calls } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () => result(HELPER_OUTPUT.replace(/^probe aarch64 .*$/m, "probe aarch64 timeout")),
      });
      const driver = createContainerDriver({ runner, probeTimeoutMs: 3_000 });
      const report = await verify({ platforms: "linux/arm64", driver });
      expect(calls.run[0]?.command).toContain("timeout=3");
      expect(calls.run[0]?.timeoutMs).toBe(66_000);
      expect(report.ok).toBe(false);
      expect(report.platforms[0]).toMatchObject({ platform: "linux/arm64", verified: false });
      expect(report.platforms[0]?.verification).toContain("timed out: the emulator hung");
    });

    it("the script bounds every emulator it runs: the chrooted probes and --version, with busybox timeout", () => {
      const lines = HELPER_SCRIPT.split("\n").map((line) => line.trim());
      // Every line that starts an emulator: the probe (chrooted only, one emulator start per platform) and --version.
      const runs = lines.filter((line) => /^(\w+ )?("\$P\/\$cpu" |chroot "\$P" |"\$path" --version)/.test(line));
      expect(runs.length).toBe(2);
      expect(HELPER_SCRIPT).not.toMatch(/"\$P\/\$cpu" </);
      for (const line of runs) expect(line).toMatch(/^bounded /);
      expect(HELPER_SCRIPT).toContain('timeout -s KILL "$T" "$@"');
    });
  });
});
