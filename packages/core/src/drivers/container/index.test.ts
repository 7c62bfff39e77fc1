import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isQusError, type QusError } from "../../errors.js";
import type { ExecResult } from "../../exec.js";
import type { ContainerRunner, EngineInfo, RunSpec } from "../../runner/types.js";
import { type Target, targetByCpu } from "../../targets.js";
import { createContainerDriver, QUS_IMAGE } from "./index.js";
import { TONISTIIGI_IMAGE } from "./tonistiigi.js";

// Recorded from the real helper (see the fixture's `# source:` line): five qemu entries, aarch64 found and probed.
const HELPER_OUTPUT = readFileSync(
  new URL("../../../test-fixtures/container/helper-inspect.txt", import.meta.url),
  "utf8",
);
const TONISTIIGI_STATUS = JSON.stringify({ supported: ["linux/amd64", "linux/arm64"], emulators: ["qemu-aarch64"] });

const QUS_LABELS = { "org.qus.qemu.version": "qemu-aarch64 version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" };

const ENGINE: EngineInfo = {
  architecture: "x86_64",
  serverVersion: "20.10.24+dfsg1",
  rootless: false,
  userns: false,
  apparmor: false,
  endpoint: "the default engine",
};

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
  /** Answers a `run`; by default the recorded helper output for the helper, the status JSON for tonistiigi. */
  readonly run?: (spec: RunSpec) => ExecResult;
}

/** A ContainerRunner that records every call and answers from memory: no engine, no docker CLI. */
function fakeRunner(options: FakeOptions = {}) {
  const images = new Map(Object.entries(options.images ?? {}));
  const calls = { info: 0, imageLabels: [] as string[], pull: [] as string[], run: [] as RunSpec[], runProgram: 0 };
  const runner: ContainerRunner = {
    name: "fake",
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
      images.set(image, {});
      return true;
    },
    async run(spec) {
      calls.run.push(spec);
      if (options.run) return options.run(spec);
      if (spec.entrypoint === "/bin/busybox") return result(HELPER_OUTPUT);
      if (spec.command.length === 0) return result(TONISTIIGI_STATUS);
      return result("", 0, "binfmt/a161c41 qemu/v7.0.0 go/1.18.3");
    },
    async runProgram() {
      calls.runProgram++;
      return result("");
    },
  };
  return { runner, calls };
}

async function rejection(promise: Promise<unknown>): Promise<QusError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isQusError(error)) throw new Error(`expected a QusError, got ${String(error)}`);
  return error;
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
      expect(args.slice(1, 3)).toEqual(["noversion=1", "interp=aarch64"]);
      expect(args[3]).toMatch(/^probe=aarch64=[A-Za-z0-9+/]+=*$/);
      expect(args.some((arg) => /^(remove|enable|register)=/.test(arg))).toBe(false);
      expect(spec).toMatchObject({ privileged: false, capAdd: ["SYS_ADMIN"], securityOpt: [] });
      expect(calls.pull).toEqual([]);
      expect(calls.runProgram).toBe(0);

      expect(inspection.entries.map((entry) => entry.name)).toContain("qemu-aarch64");
      expect(inspection.probes.get("aarch64")).toEqual({ ok: true });
      expect(inspection.interpreters.get("aarch64")).toEqual({ path: "/usr/bin/qemu-aarch64-static", static: true });
      expect(inspection.kernel.release).toBe("6.18.44-fc-v669");
      expect(inspection.details).toMatchObject({
        image: QUS_IMAGE,
        privilege: "--cap-add SYS_ADMIN",
        qemuVersion: QUS_LABELS["org.qus.qemu.version"],
      });
    });

    it("qus's image absent, tonistiigi/binfmt present: tonistiigi mode, status read with no command", async () => {
      const { runner, calls } = fakeRunner({ images: { [TONISTIIGI_IMAGE]: {} } });
      const inspection = await createContainerDriver({ runner }).inspect(INSPECT);

      expect(calls.imageLabels).toEqual([QUS_IMAGE, TONISTIIGI_IMAGE]);
      expect(calls.pull).toEqual([]);
      expect(calls.run.every((spec) => spec.image === TONISTIIGI_IMAGE && spec.entrypoint === undefined)).toBe(true);
      expect(calls.run.map((spec) => spec.command)).toContainEqual([]);
      expect(calls.runProgram).toBe(1); // the probe of the claimed aarch64
      expect(inspection.entries).toEqual([expect.objectContaining({ name: "qemu-aarch64", opaque: true })]);
      expect(inspection.details).toMatchObject({ image: TONISTIIGI_IMAGE, installer: "tonistiigi/binfmt" });
    });

    it("both absent, tonistiigi/binfmt pullable: pulled, then tonistiigi mode", async () => {
      const { runner, calls } = fakeRunner({ pullable: [TONISTIIGI_IMAGE] });
      await createContainerDriver({ runner }).inspect(INSPECT);
      expect(calls.pull).toEqual([TONISTIIGI_IMAGE]);
      expect(calls.run[0]).toMatchObject({ image: TONISTIIGI_IMAGE });
    });

    it("both absent and the pull fails: QUS_IMAGE_MISSING naming the image, hint qus image build", async () => {
      const { runner, calls } = fakeRunner();
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_IMAGE_MISSING");
      expect(error.message).toContain(TONISTIIGI_IMAGE);
      expect(error.message).toContain("the default engine");
      expect(error.hint).toContain("qus image build");
      expect(calls.pull).toEqual([TONISTIIGI_IMAGE]);
      expect(calls.run).toEqual([]);
    });

    it("an explicit image that is not tonistiigi/binfmt and is missing: QUS_IMAGE_MISSING, never pulled", async () => {
      const { runner, calls } = fakeRunner({ pullable: ["example.com/my-binfmt:1"] });
      const error = await rejection(
        createContainerDriver({ runner, image: "example.com/my-binfmt:1" }).inspect(INSPECT),
      );
      expect(error.code).toBe("QUS_IMAGE_MISSING");
      expect(error.message).toContain("example.com/my-binfmt:1");
      expect(error.hint).toContain("qus image build");
      expect(calls.pull).toEqual([]);
      expect(calls.run).toEqual([]);
    });

    it("an explicit tonistiigi/binfmt tag that is missing is pulled", async () => {
      const { runner, calls } = fakeRunner({ pullable: ["docker.io/tonistiigi/binfmt:latest"] });
      await createContainerDriver({ runner, image: "docker.io/tonistiigi/binfmt:latest" }).inspect(INSPECT);
      expect(calls.pull).toEqual(["docker.io/tonistiigi/binfmt:latest"]);
      expect(calls.run[0]).toMatchObject({ image: "docker.io/tonistiigi/binfmt:latest" });
    });

    it("an explicit image with qus's helper (it has labels) runs in helper mode", async () => {
      const { runner, calls } = fakeRunner({ images: { "registry.local/qus-binfmt:7": {} } });
      await createContainerDriver({ runner, image: "registry.local/qus-binfmt:7" }).inspect(INSPECT);
      expect(calls.run[0]).toMatchObject({ image: "registry.local/qus-binfmt:7", entrypoint: "/bin/busybox" });
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
      expect(error.message).toContain("userns-remap");
      expect(calls.pull).toEqual([]);
      expect(calls.run).toEqual([]);
    });
  });

  describe("how the helper container is started", () => {
    it("an AppArmor engine: apparmor=unconfined", async () => {
      const { runner, calls } = fakeRunner({ engine: { apparmor: true }, images: { [QUS_IMAGE]: QUS_LABELS } });
      await createContainerDriver({ runner }).inspect(INSPECT);
      expect(calls.run[0]?.securityOpt).toEqual(["apparmor=unconfined"]);
    });

    it("--privileged when asked", async () => {
      const { runner, calls } = fakeRunner({ images: { [QUS_IMAGE]: QUS_LABELS } });
      const inspection = await createContainerDriver({ runner, privileged: true }).inspect(INSPECT);
      expect(calls.run[0]?.privileged).toBe(true);
      expect(inspection.details?.privilege).toBe("--privileged");
    });

    it("mounting binfmt_misc denied with SYS_ADMIN alone: retried once with --privileged", async () => {
      const { runner, calls } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: (spec) => (spec.privileged ? result(HELPER_OUTPUT) : result("mount-failed mount: permission denied ")),
      });
      const inspection = await createContainerDriver({ runner }).inspect(INSPECT);
      expect(calls.run.map((spec) => spec.privileged)).toEqual([false, true]);
      expect(inspection.details?.privilege).toBe("--privileged");
    });

    it("mounting denied and privileged: false asked: QUS_PRIVILEGE_DENIED, no retry", async () => {
      const { runner, calls } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () => result("mount-failed mount: permission denied "),
      });
      const error = await rejection(createContainerDriver({ runner, privileged: false }).inspect(INSPECT));
      expect(error.code).toBe("QUS_PRIVILEGE_DENIED");
      expect(error.message).toContain("permission denied");
      expect(calls.run).toHaveLength(1);
    });

    it("a helper that stops before `done`: QUS_EXEC_FAILED with the last lines of its output", async () => {
      const { runner } = fakeRunner({
        images: { [QUS_IMAGE]: QUS_LABELS },
        run: () => result("kernel 6.1.0", 127, "sh: exec: /bin/busybox: not found"),
      });
      const error = await rejection(createContainerDriver({ runner }).inspect(INSPECT));
      expect(error.code).toBe("QUS_EXEC_FAILED");
      expect(error.message).toContain("/bin/busybox: not found");
    });
  });
});
