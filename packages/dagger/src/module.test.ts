import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { connection } from "@dagger.io/dagger";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Call, callOf, type FakeEngine, startFakeEngine } from "./fake-engine.js";
import { Qus } from "./index.js";
import { DIRECT_STATUS } from "./verify.js";

const here = dirname(fileURLToPath(import.meta.url));
const sdkRoot = dirname(dirname(createRequire(import.meta.url).resolve("@dagger.io/dagger")));

interface ScannedFunction {
  readonly name: string;
  readonly cache?: string;
  readonly isCheck?: boolean;
  toJSON(): { arguments: Record<string, { isOptional: boolean; defaultValue?: unknown; type: { kind: string } }> };
  readonly returnType?: { kind: string; name?: string };
}

/**
 * The SDK's own introspector (what the engine's TypeScript runtime runs to learn a module's API), over
 * src/index.ts. The runtime hands it the engine's generated client.gen.ts; here a stand-in declares the one core
 * type the module uses (Container).
 */
async function scanModule() {
  const stubDir = await mkdtemp(join(tmpdir(), "qus-dagger-scan-"));
  try {
    const stub = join(stubDir, "client.gen.ts");
    await writeFile(stub, "export class Container {}\n");
    const introspector = pathToFileURL(join(sdkRoot, "src/module/introspector/index.js")).href;
    const { scan } = (await import(introspector)) as {
      scan(files: string[], name: string, load: boolean): Promise<{ objects: Record<string, unknown> }>;
    };
    const module = await scan([join(here, "index.ts"), stub], "qus", false);
    return module.objects.Qus as { methods: Record<string, ScannedFunction> };
  } finally {
    await rm(stubDir, { recursive: true, force: true });
  }
}

describe("the module's API as the SDK's introspector reads it (no engine runs; client.gen.ts stood in)", () => {
  let qus: Awaited<ReturnType<typeof scanModule>>;
  // The introspector type-checks the module and core's sources: seconds on a busy machine.
  beforeAll(async () => {
    qus = await scanModule();
  }, 120_000);

  it("exposes verify, ensure, status, withEmulation and one check, none of them cached", () => {
    expect(Object.keys(qus.methods).sort()).toEqual(["ensure", "platformsRun", "status", "verify", "withEmulation"]);
    for (const method of Object.values(qus.methods)) expect(method.cache).toBe("never");
    expect(qus.methods.platformsRun?.isCheck).toBe(true);
    expect(qus.methods.verify?.isCheck).toBe(false);
  });

  it("takes optional platforms everywhere and the defaults the README shows", () => {
    const args = (name: string) => qus.methods[name]?.toJSON().arguments ?? {};
    expect(args("verify").platforms).toMatchObject({ isOptional: true, type: { kind: "LIST_KIND" } });
    expect(args("verify").format?.defaultValue).toBe("table");
    expect(args("verify").requireHost?.defaultValue).toBe(false);
    expect(Object.keys(args("ensure"))).toEqual(["platforms", "image", "replace", "format"]);
    expect(args("ensure").image?.isOptional).toBe(true);
    expect(Object.keys(args("withEmulation"))).toEqual(["container", "ensure", "image"]);
    expect(args("withEmulation").container?.type.kind).toBe("OBJECT_KIND");
  });
});

let engine: FakeEngine | undefined;
const saved = { port: process.env.DAGGER_SESSION_PORT, token: process.env.DAGGER_SESSION_TOKEN };
let workdir: string;
const cwd = process.cwd();

beforeEach(async () => {
  // The module writes its programs into its working directory (/scratch in the engine): a temporary one here.
  workdir = await mkdtemp(join(tmpdir(), "qus-dagger-test-"));
  process.chdir(workdir);
});

afterEach(async () => {
  process.chdir(cwd);
  await engine?.close();
  engine = undefined;
  if (saved.port === undefined) delete process.env.DAGGER_SESSION_PORT;
  else process.env.DAGGER_SESSION_PORT = saved.port;
  if (saved.token === undefined) delete process.env.DAGGER_SESSION_TOKEN;
  else process.env.DAGGER_SESSION_TOKEN = saved.token;
  await rm(workdir, { recursive: true, force: true });
});

/** An amd64 engine on which arm64 runs through the host kernel and everything else meets no handler. */
function answer(chain: readonly Call[]): unknown {
  const field = chain.at(-1)?.field;
  if (field === "defaultPlatform") return "linux/amd64";
  if (field === "version") return "v0.21.9";
  if (field === "platform") return "linux/arm64";
  const exec = callOf(chain, "withExec");
  if (!exec) return undefined;
  const arm64 = callOf(chain, "container")?.args.platform === "linux/arm64";
  const direct = (exec.args.args as string[])[0] === "/qus-direct";
  if (field === "sync") {
    if (!arm64 && !direct) throw new Error("exec /qus-probe: exec format error");
    return undefined;
  }
  if (field === "exitCode") return direct ? DIRECT_STATUS : 0;
  return "";
}

/** Runs `body` as the module's code runs: `dag` connected through DAGGER_SESSION_PORT and DAGGER_SESSION_TOKEN. */
async function inSession<T>(body: () => Promise<T>): Promise<T> {
  engine = await startFakeEngine(answer);
  process.env.DAGGER_SESSION_PORT = String(engine.port);
  process.env.DAGGER_SESSION_TOKEN = engine.token;
  let result: T | undefined;
  await connection(async () => {
    result = await body();
  });
  return result as T;
}

describe("the module's functions in a session, as the engine calls them (fake session from the SDK's env variables; no engine runs)", () => {
  it("verify returns the table for platforms that run", async () => {
    const text = await inSession(() => new Qus().verify(["linux/arm64"]));
    expect(text).toContain("linux/arm64  host kernel   yes");
    expect(text).toContain("verify: all 1 platforms run on the Dagger engine (linux/amd64, v0.21.9)");
  });

  it("verify uses the module's platforms when none are given, and fails naming the one that does not run", async () => {
    await expect(inSession(() => new Qus().verify())).rejects.toThrow(/linux\/riscv64: exec format error/);
  });

  it("the check fails the same way", async () => {
    await expect(inSession(() => new Qus(["riscv64"]).platformsRun())).rejects.toMatchObject({
      code: "QUS_VERIFY_FAILED",
    });
  });

  it("withEmulation proves the container's own platform and hands the container back", async () => {
    const returned = await inSession(async () => {
      const { dag } = await import("@dagger.io/dagger");
      const container = dag.container({ platform: "linux/arm64" as never }).from("debian:12");
      return { same: (await new Qus().withEmulation(container)) === container };
    });
    expect(returned.same).toBe(true);
    const probed = (engine as FakeEngine).queries.filter((chain) => callOf(chain, "withExec"));
    expect(probed.every((chain) => callOf(chain, "container")?.args.platform === "linux/arm64")).toBe(true);
    expect(probed.length).toBeGreaterThan(0);
  });
});
