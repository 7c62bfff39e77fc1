import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** gitlab-ci-local as tools/setup-gitlab-ci-local.sh installs it. */
export const GITLAB_CI_LOCAL = join(
  process.env.QUS_GITLAB_CI_LOCAL_PREFIX ?? "/opt/qus-gitlab-ci-local",
  "node_modules/.bin/gitlab-ci-local",
);

/** Fails fast when gitlab-ci-local is not installed. */
export function requireGitlabCiLocal(): void {
  if (!existsSync(GITLAB_CI_LOCAL)) {
    throw new Error(`gitlab-ci-local is missing: run bash tools/setup-gitlab-ci-local.sh (${GITLAB_CI_LOCAL})`);
  }
}

/**
 * A git project gitlab-ci-local accepts, in a new folder under the system's temp folder (the caller removes it):
 * committed, with `origin` at gitlab.example.com/qus-e2e/app.
 */
export function gitlabProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "qus-gitlab-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const git = (...args: string[]) => {
    const result = spawnSync("git", args, { cwd: dir, encoding: "utf8", timeout: 60_000 });
    if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  };
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("-c", "user.email=e2e@qus.invalid", "-c", "user.name=qus e2e", "commit", "-q", "-m", "e2e");
  git("remote", "add", "origin", "https://gitlab.example.com/qus-e2e/app.git");
  return dir;
}

/**
 * Runs gitlab-ci-local in `dir` with the shell executor; its output and exit status. Asynchronous: a loopback
 * server a pipeline reaches may run in this process. `env` is the environment it runs in (this process's).
 */
export function pipeline(
  dir: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      GITLAB_CI_LOCAL,
      ["--force-shell-executor", "--pull-policy", "if-not-present", "--no-color", ...args],
      {
        cwd: dir,
        encoding: "utf8",
        timeout: 300_000,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
        // gitlab-ci-local needs Node >= 22: the one running these tests.
        env: { ...env, PATH: `${dirname(process.execPath)}:${env.PATH ?? ""}` },
      },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ status, output: `${stdout}${stderr}${error && status === null ? String(error) : ""}` });
      },
    );
  });
}

/** A file of a job's `qus-report/` artifact folder. */
export function artifact(dir: string, job: string, file: string): string {
  return readFileSync(join(dir, ".gitlab-ci-local/artifacts", job, "qus-report", file), "utf8");
}
