import { spawn } from "node:child_process";
import { existsSync, lstatSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  missingEntryFiles,
  type PackedInstall,
  packInstall,
  publicPackages,
  REPO_ROOT,
  repoVersionOf,
  undeclaredImports,
  userEnv,
} from "../tools/pack-install.mjs";
import { useCleanQemuTable } from "./support/kernel.js";

// The packages as users install them: `npm pack` of each public workspace package, the tarballs installed together
// in a new project outside the repository (tools/pack-install.mjs), and what users run, run from that project: the
// `qus` bin (also through npx), a real `qus ensure` on this machine's kernel, the library entry points imported
// from ESM, and their types checked by a consumer's tsconfig. Needs `npm run build` first, and the registry for the
// third-party dependencies. Serial (kernel project); the qemu-* entries are put back afterwards.
useCleanQemuTable();

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: "ES2023",
    lib: ["ES2023"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noEmit: true,
    types: ["node"],
  },
  files: ["check.ts"],
};

/**
 * What users import, with the names a consumer uses. Imported after a resolve hook is in place, which records each
 * module loaded from outside the project (through a node_modules above it) and what imported it.
 */
const CHECK_MJS = `import { realpathSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

const here = realpathSync(".");
const loaded = new Set();
const outside = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    if (!result.url.startsWith("file:")) return result;
    const path = realpathSync(fileURLToPath(result.url));
    loaded.add(path);
    if (!path.startsWith(here + "/")) outside.push({ path, importers: [fileURLToPath(context.parentURL)] });
    return result;
  },
});

const { resolvePlatforms } = await import("@qus/core");
const { BUILDER_NAME } = await import("@qus/buildx");
const { ensureEmulation, forgetEmulation } = await import("@qus/testcontainers");
const { default: vitestSetup, qusEmulation } = await import("@qus/testcontainers/vitest");
const { default: jestSetup, emulationReport } = await import("@qus/testcontainers/jest");
const { readStepInputs } = await import("@qus/ci");

const inputs = readStepInputs((name) => (name === "platforms" ? "arm64, riscv64" : undefined));
console.log(JSON.stringify({
  arm64: resolvePlatforms("arm64").map((target) => target.platforms[0]),
  builderName: BUILDER_NAME.test("qus"),
  ensureEmulation: typeof ensureEmulation,
  forgetEmulation: typeof forgetEmulation,
  vitest: [typeof vitestSetup, typeof qusEmulation],
  jest: [typeof jestSetup, typeof emulationReport()],
  platforms: inputs.platforms,
  loadedPackages: [...new Set([...loaded].map((path) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(path)?.[1]))].sort(),
  outside,
}));
`;

/** The same imports, with types, as a consumer's TypeScript writes them. */
const CHECK_TS = `import { type Report, resolvePlatforms, type Target } from "@qus/core";
import { type BootstrapReport, BUILDER_NAME } from "@qus/buildx";
import { type EnsureEmulationOptions, EmulationError, ensureEmulation, withEmulation } from "@qus/testcontainers";
import vitestSetup, { qusEmulation } from "@qus/testcontainers/vitest";
import jestSetup, { emulationReport } from "@qus/testcontainers/jest";
import { type InputReader, readStepInputs, type StepInputs } from "@qus/ci";
import { GenericContainer } from "testcontainers";
import { inject } from "vitest";

const none: import("@qus/core").Report | undefined = undefined;
const targets: Target[] = resolvePlatforms("arm64");
const builderName: RegExp = BUILDER_NAME;
const bootstrapped: BootstrapReport | undefined = undefined;
const options: EnsureEmulationOptions = { platforms: ["linux/arm64"] };
const ensure: (options?: EnsureEmulationOptions) => Promise<Report> = ensureEmulation;
const container = withEmulation(new GenericContainer("busybox").withPlatform("linux/arm64"));
const isError = (error: unknown): error is EmulationError => error instanceof EmulationError;
const setup: typeof vitestSetup = vitestSetup;
const globalSetupPath: string = qusEmulation(options);
const provided: () => Report = () => inject("qusEmulation");
const jest: () => Promise<void> = jestSetup;
const fromJest: Report | undefined = emulationReport();
const read: InputReader = (name) => (name === "platforms" ? "linux/arm64" : undefined);
const inputs: StepInputs = readStepInputs(read);
console.log(none, targets, builderName, bootstrapped, ensure, container, isError, setup, globalSetupPath);
console.log(provided, jest, fromJest, inputs);
`;

/** How a command in the project ended. */
interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let installed: PackedInstall | undefined;

/** The project's folder (after beforeAll). */
function project(): string {
  if (!installed) throw new Error("the packed install was not made (see beforeAll)");
  return installed.project;
}

/**
 * Runs a program in the project with an argv array and a timeout, as a user's shell would: no npm_* variables, and
 * this node first on PATH (a bare name is looked up there).
 */
function inProject(file: string, args: readonly string[], timeout = 60_000): Promise<Run> {
  return new Promise((done, reject) => {
    const child = spawn(file, args, {
      cwd: project(),
      env: { ...userEnv(), NO_COLOR: "1" },
      timeout,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status, signal) =>
      done({ status: status ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null), stdout, stderr }),
    );
  });
}

/** The installed `qus` bin, as npm linked it. */
function qusBin(): string {
  return join(project(), "node_modules/.bin/qus");
}

function describeRun(run: Run): string {
  return `exit ${run.status}\n${run.stdout}\n${run.stderr}`;
}

/** A file node or tsc took, and the files that imported it. */
interface Load {
  readonly path: string;
  readonly importers: readonly string[];
}

/**
 * Of the files taken from outside the project (a node_modules above it, such as a /tmp/node_modules linked to the
 * repository's), those that involve qus: a qus package itself, or anything a qus package or the consumer's own file
 * imported. Each would be a package that only works beside the repository. The others (a third-party package's
 * optional dependency, found there by chance) are logged, not failed: those are not qus's to fix.
 */
function takenFromOutside(loads: readonly Load[], consumerFile: string): string[] {
  const packagesDir = join(REPO_ROOT, "packages/");
  const ours = (path: string) =>
    path === join(project(), consumerFile) ||
    path.startsWith(join(project(), "node_modules/@qus/")) ||
    path.startsWith(packagesDir);
  const outside = loads.filter(({ path }) => !path.startsWith(`${project()}/`));
  const involvingQus = outside.filter(({ path, importers }) => ours(path) || importers.some(ours));
  for (const { path, importers } of outside)
    if (!involvingQus.some((load) => load.path === path))
      console.warn(`outside the project (third party, not failed): ${path} from ${importers.join(", ")}`);
  return involvingQus.map(({ path, importers }) => `${path} (imported by ${importers.join(", ")})`);
}

/** The files of tsc's program and why each is there, from `--explainFiles` (paths relative to the project). */
function explainedFiles(output: string): Load[] {
  const loads: { path: string; importers: string[] }[] = [];
  for (const line of output.split("\n")) {
    if (line.trim() === "") continue;
    if (!line.startsWith(" ")) loads.push({ path: resolve(project(), line), importers: [] });
    else {
      const importer = /from file '([^']+)'/.exec(line)?.[1];
      if (importer) loads.at(-1)?.importers.push(resolve(project(), importer));
    }
  }
  return loads;
}

beforeAll(async () => {
  installed = await packInstall({
    extra: [
      `typescript@${repoVersionOf("typescript")}`,
      `@types/node@${repoVersionOf("@types/node")}`,
      "testcontainers@12.2.0",
      `vitest@${repoVersionOf("vitest")}`,
    ],
  });
}, 300_000);

afterAll(() => {
  if (installed) rmSync(installed.project, { recursive: true, force: true });
});

describe("the packages as packed and installed from their tarballs", () => {
  it("installs every public package, each a real folder from its tarball outside the repository", () => {
    const names = publicPackages().map((pkg) => pkg.name);
    expect(names).toEqual(expect.arrayContaining(["@qus/core", "@qus/cli", "@qus/buildx", "@qus/testcontainers"]));
    expect(names).not.toContain("@qus/github-action");
    expect(names).not.toContain("@qus/azure-pipelines");
    expect(relative(REPO_ROOT, project()).startsWith("..")).toBe(true);
    for (const name of names) {
      const folder = join(project(), "node_modules", name);
      expect(lstatSync(folder).isSymbolicLink(), name).toBe(false);
      expect(lstatSync(folder).isDirectory(), name).toBe(true);
    }
    expect(existsSync(join(project(), "node_modules/@qus/github-action"))).toBe(false);
    expect(realpathSync(qusBin())).toBe(join(project(), "node_modules/@qus/cli/bin/qus.js"));
  });

  it("ships every file its package.json names (exports, bin)", () => {
    const missing = publicPackages().flatMap(({ name }) =>
      missingEntryFiles(join(project(), "node_modules", name)).map((file) => `${name}/${file}`),
    );
    expect(missing).toEqual([]);
  });

  it("declares every package its JavaScript and declarations import (none resolves through hoisting alone)", () => {
    const undeclared = publicPackages().flatMap(({ name }) =>
      undeclaredImports(join(project(), "node_modules", name)).map((line) => `${name}/${line}`),
    );
    expect(undeclared).toEqual([]);
  });

  it("runs `qus --version` and `npx --no-install qus --version`, printing the package's version", async () => {
    const { version } = JSON.parse(readFileSync(join(project(), "node_modules/@qus/cli/package.json"), "utf8"));
    const bin = await inProject(qusBin(), ["--version"]);
    expect(bin.status, describeRun(bin)).toBe(0);
    const installed = join(project(), "node_modules/@qus/cli");
    expect(bin.stdout.trim()).toBe(`${version} (${installed})`);
    const npx = await inProject("npx", ["--no-install", "qus", "--version"]);
    expect(npx.status, describeRun(npx)).toBe(0);
    expect(npx.stdout.trim()).toBe(`${version} (${installed})`);
  });

  it("prints `qus status --json` with schemaVersion 1", async () => {
    const status = await inProject(qusBin(), ["status", "--json"]);
    expect(status.stdout, describeRun(status)).not.toBe("");
    const report = JSON.parse(status.stdout);
    expect(report).toMatchObject({ schemaVersion: 1, command: "status" });
  });

  it("ensures linux/arm64 and linux/riscv64 on this kernel, then verifies linux/arm64", async () => {
    const ensure = await inProject(qusBin(), ["ensure", "--platforms", "linux/arm64,linux/riscv64"], 120_000);
    expect(ensure.status, describeRun(ensure)).toBe(0);
    const verify = await inProject(qusBin(), ["verify", "--platforms", "linux/arm64"], 120_000);
    expect(verify.status, describeRun(verify)).toBe(0);
  });

  it("imports every library entry point from ESM, each from the project", async () => {
    writeFileSync(join(project(), "check.mjs"), CHECK_MJS);
    const check = await inProject(process.execPath, ["check.mjs"]);
    expect(check.status, describeRun(check)).toBe(0);
    const { outside, ...result } = JSON.parse(check.stdout) as { outside: Load[] };
    expect(result).toEqual({
      arm64: ["linux/arm64"],
      builderName: true,
      ensureEmulation: "function",
      forgetEmulation: "function",
      vitest: ["function", "function"],
      jest: ["function", "undefined"],
      platforms: ["arm64", "riscv64"],
      loadedPackages: expect.arrayContaining(["@qus/buildx", "@qus/ci", "@qus/core", "@qus/testcontainers"]),
    });
    expect(takenFromOutside(outside, "check.mjs")).toEqual([]);
  });

  it("typechecks a consumer's imports under NodeNext, strict, without skipLibCheck, from the project", async () => {
    writeFileSync(join(project(), "tsconfig.json"), `${JSON.stringify(CONSUMER_TSCONFIG, null, 2)}\n`);
    writeFileSync(join(project(), "check.ts"), CHECK_TS);
    const tsc = await inProject(
      process.execPath,
      [join(project(), "node_modules/typescript/bin/tsc"), "--noEmit", "--explainFiles", "-p", "."],
      120_000,
    );
    expect(tsc.status, describeRun(tsc)).toBe(0);
    const files = explainedFiles(tsc.stdout);
    expect(files.map(({ path }) => path)).toContain(join(project(), "node_modules/@qus/core/dist/index.d.ts"));
    expect(takenFromOutside(files, "check.ts")).toEqual([]);
  });
});
