import { readFileSync } from "node:fs";
import { QusError } from "@qus/core";

/** What the generated jobs run: `qus ensure`, `qus buildx` (a proven builder) or `qus verify` (no change). */
export type Mode = "ensure" | "buildx" | "verify";

/** Every mode, in the order the component's `mode` input lists them. */
export const MODES: readonly Mode[] = ["ensure", "buildx", "verify"];

/** The typed options both files are generated from: the inputs' defaults (component) or the values (remote). */
export interface GitlabOptions {
  /** OCI platforms (or qus's names for them) to register and prove. */
  readonly platforms: readonly string[];
  /** The stage of the visible job. */
  readonly stage: string;
  /** Jobs are named `<prefix>-<mode>` and the hidden one `.<prefix>-ensure`. */
  readonly jobPrefix: string;
  readonly mode: Mode;
  /** The job image: needs a docker CLI, and node unless it has apk to install it (docker:* images do). */
  readonly image: string;
  /** The docker:dind service the job reaches over TLS when the runner's socket is not mounted. */
  readonly dindImage: string;
  /** The command that runs qus, split on blanks (no shell quoting): by default the published CLI of this version. */
  readonly qus: string;
}

/** Job prefixes GitLab accepts as part of a job name and a shell never reads as code. */
export const JOB_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The version of the package this code belongs to: @qus/gitlab's, read from the package.json beside src/ or dist/. */
export function packageVersion(): string {
  const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** The defaults: two platforms, the `test` stage, prefix `qus`, mode `ensure`, Docker 28 with dind. */
export function defaultOptions(version: string = packageVersion()): GitlabOptions {
  return {
    platforms: ["linux/arm64", "linux/riscv64"],
    stage: "test",
    jobPrefix: "qus",
    mode: "ensure",
    image: "docker:28",
    dindImage: "docker:28-dind",
    qus: `npx --yes @qus/cli@${version}`,
  };
}

const usage = (message: string, hint: string) => new QusError("QUS_USAGE", message, { hint });

/** The defaults with `options` over them, checked: an error names the bad value. */
export function resolveOptions(options: Partial<GitlabOptions> = {}, version?: string): GitlabOptions {
  const resolved = { ...defaultOptions(version), ...options };
  const noNewline = (name: string, value: string) => {
    if (/[\r\n]/.test(value) || value.length === 0) {
      throw usage(`${name} ${JSON.stringify(value)}: expected one non-empty line`, `give ${name} a value on one line`);
    }
  };
  if (resolved.platforms.length === 0) throw usage("platforms: none given", "name at least one, e.g. linux/arm64");
  for (const platform of resolved.platforms) noNewline("platform", platform);
  for (const [name, value] of [
    ["stage", resolved.stage],
    ["image", resolved.image],
    ["dind-image", resolved.dindImage],
    ["qus", resolved.qus],
  ] as const) {
    noNewline(name, value);
  }
  if (!JOB_PREFIX.test(resolved.jobPrefix)) {
    throw usage(
      `job-prefix ${JSON.stringify(resolved.jobPrefix)}: expected letters, digits, . _ -`,
      "for example job-prefix qus",
    );
  }
  if (!MODES.includes(resolved.mode)) {
    throw usage(
      `mode ${JSON.stringify(resolved.mode)}: expected one of ${MODES.join(", ")}`,
      "for example mode ensure",
    );
  }
  return resolved;
}
