import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The GitHub Action's folder, as a workflow's `uses:` checks it out. */
export const ACTION_DIR = fileURLToPath(new URL("../../packages/github-action", import.meta.url));

/** How one step of the action ended, with what it handed to the runner. */
export interface ActionRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What it wrote to GITHUB_OUTPUT. */
  readonly outputs: Record<string, string>;
  /** What it wrote to GITHUB_STATE: the runner passes it to the post step as `STATE_<name>`. */
  readonly state: Record<string, string>;
  /** What it wrote to GITHUB_STEP_SUMMARY. */
  readonly summary: string;
  /** Its `::error` annotations' messages, decoded. */
  readonly errors: readonly string[];
  /** Its `::warning` annotations' messages, decoded. */
  readonly warnings: readonly string[];
}

/** What a step gets from the runner besides its script. */
export interface StepEnvironment {
  /** Inputs by their action.yml names (`builder-name`), passed as the runner does: `INPUT_BUILDER-NAME`. */
  readonly inputs?: Readonly<Record<string, string>>;
  /** State the main step saved, passed as `STATE_<name>`. */
  readonly state?: Readonly<Record<string, string>>;
  readonly env?: NodeJS.ProcessEnv;
  /** Runs the step as this user (`runuser -u USER`), as a runner that is not root does. */
  readonly user?: string;
}

/**
 * Runs `node dist/<step>.js` as the runner starts an action's step: inputs and state in the environment, and the
 * GITHUB_OUTPUT, GITHUB_STATE and GITHUB_STEP_SUMMARY files in a folder of its own (writable by `user`), read back
 * once it ended.
 */
export function runActionStep(step: "main" | "post", environment: StepEnvironment = {}): ActionRun {
  const dir = mkdtempSync(join(tmpdir(), "qus-e2e-runner-"));
  try {
    chmodSync(dir, 0o755);
    const files = { GITHUB_OUTPUT: "output", GITHUB_STATE: "state", GITHUB_STEP_SUMMARY: "summary.md" };
    const paths = Object.fromEntries(Object.entries(files).map(([name, file]) => [name, join(dir, file)]));
    for (const path of Object.values(paths)) {
      writeFileSync(path, "");
      chmodSync(path, 0o666);
    }
    const env: NodeJS.ProcessEnv = { ...runnerFreeEnv(), ...paths, ...environment.env };
    for (const [name, value] of Object.entries(environment.inputs ?? {})) env[inputVariable(name)] = value;
    for (const [name, value] of Object.entries(environment.state ?? {})) env[`STATE_${name}`] = value;
    // QUS_E2E_ACTION_DIST: a bundle built elsewhere (node build.mjs --outdir DIR/dist), to try sources not yet bundled.
    const script = join(process.env.QUS_E2E_ACTION_DIST ?? join(ACTION_DIR, "dist"), `${step}.js`);
    const argv = environment.user
      ? ["runuser", "-u", environment.user, "--", process.execPath, script]
      : [process.execPath, script];
    const [program = "", ...args] = argv;
    const result = spawnSync(program, args, { cwd: dir, env, encoding: "utf8", timeout: 300_000 });
    return {
      status: result.status,
      stdout: result.stdout ?? "",
      stderr: result.stderr ?? String(result.error ?? ""),
      outputs: readFileCommands(paths.GITHUB_OUTPUT ?? ""),
      state: readFileCommands(paths.GITHUB_STATE ?? ""),
      summary: readFileSync(paths.GITHUB_STEP_SUMMARY ?? "", "utf8"),
      errors: annotations(result.stdout ?? "", "error"),
      warnings: annotations(result.stdout ?? "", "warning"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The runner's variable for an input: `INPUT_` and its name upper-cased, spaces as underscores (dashes stay). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

/** This process's environment without what a runner sets for a step, so each step sees only its own. */
export function runnerFreeEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(INPUT_|STATE_|GITHUB_|RUNNER_)/.test(name)),
  );
}

/**
 * Reads a file command file (GITHUB_OUTPUT, GITHUB_STATE): `name=value` lines and `name<<DELIMITER` blocks, as
 * @actions/core writes them.
 */
export function readFileCommands(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  if (!existsSync(path)) return values;
  const lines = readFileSync(path, "utf8").split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    const block = /^([^=<]+)<<(.+)$/.exec(line);
    if (block?.[1] && block[2]) {
      const end = lines.indexOf(block[2], index + 1);
      if (end < 0) throw new Error(`${path}: ${block[1]} has no closing ${block[2]}`);
      values[block[1]] = lines.slice(index + 1, end).join("\n");
      index = end;
    } else if (line.includes("=")) {
      values[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return values;
}

/** The messages of a level's workflow-command annotations (`::error title=...::message`), decoded. */
export function annotations(stdout: string, level: "error" | "warning"): string[] {
  return stdout
    .split("\n")
    .flatMap((line) => {
      const found = new RegExp(`^::${level}(?: [^:]*)?::(.*)$`).exec(line);
      return found?.[1] !== undefined ? [found[1]] : [];
    })
    .map((message) => message.replaceAll("%0D", "\r").replaceAll("%0A", "\n").replaceAll("%25", "%"));
}
