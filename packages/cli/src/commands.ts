import { ensure, persist, type Report, remove, status, verify } from "@qus/core";

/** The options a command accepts, as node:util parseArgs takes them, with help lines. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly help: string;
  readonly value?: string;
}

/** Values every command receives after parsing. */
export type Values = Record<string, string | boolean | undefined>;

/** One `qus` command. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: Record<string, OptionSpec>;
  readonly needsPlatforms: boolean;
  run(values: Values): Promise<Report>;
}

const platforms: OptionSpec = { type: "string", value: "LIST", help: "platforms, comma separated: linux/arm64,riscv64,arm/v7 or all" };
const json: OptionSpec = { type: "boolean", help: "print the report as JSON (stable shape, schemaVersion 1)" };
const markdown: OptionSpec = { type: "boolean", help: "print the report as Markdown (for CI job summaries)" };
const driver: OptionSpec = { type: "string", value: "NAME", help: "where the kernel is reached: local (this machine; default)" };
const qemuPath: OptionSpec = { type: "string", value: "DIR", help: "look for qemu-<cpu>-static / qemu-<cpu> only in DIR" };
const dryRun: OptionSpec = { type: "boolean", help: "report what would be done, change nothing" };

const text = (values: Values, name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
const flag = (values: Values, name: string) => values[name] === true;

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  {
    name: "status",
    summary: "show the binfmt_misc entries of the platforms (all by default); changes nothing",
    usage: "qus status [--platforms LIST] [--json]",
    options: { platforms, json, markdown, driver, "qemu-path": qemuPath },
    needsPlatforms: false,
    run: (v) => status({ platforms: text(v, "platforms"), qemuPath: text(v, "qemu-path") }),
  },
  {
    name: "ensure",
    summary: "register QEMU for the platforms, apply the least change, verify by running a program of each",
    usage: "qus ensure --platforms LIST|all [--replace] [--flags FLAGS] [--qemu-path DIR] [--dry-run] [--json]",
    options: {
      platforms,
      replace: { type: "boolean", help: "replace entries that differ or stand in the way (otherwise: reported as conflicts)" },
      flags: { type: "string", value: "FLAGS", help: "binfmt_misc flags (default FC: F works in containers, C keeps setuid working; P opt-in)" },
      "qemu-path": qemuPath,
      "dry-run": dryRun,
      json,
      markdown,
      driver,
    },
    needsPlatforms: true,
    run: (v) =>
      ensure({
        platforms: text(v, "platforms"),
        replace: flag(v, "replace"),
        flags: text(v, "flags"),
        qemuPath: text(v, "qemu-path"),
        dryRun: flag(v, "dry-run"),
      }),
  },
  {
    name: "verify",
    summary: "run a program of each platform the way builds meet it (chrooted), and say which work",
    usage: "qus verify --platforms LIST [--json]",
    options: { platforms, json, markdown, driver, "qemu-path": qemuPath },
    needsPlatforms: true,
    run: (v) => verify({ platforms: text(v, "platforms"), qemuPath: text(v, "qemu-path") }),
  },
  {
    name: "remove",
    summary: "remove qus's entries (qemu-<cpu>) of the platforms; other entries are never touched",
    usage: "qus remove --platforms LIST|all [--dry-run] [--json]",
    options: { platforms, "dry-run": dryRun, json, markdown, driver },
    needsPlatforms: true,
    run: (v) => remove({ platforms: text(v, "platforms"), dryRun: flag(v, "dry-run") }),
  },
  {
    name: "persist",
    summary: "write systemd binfmt.d files for what is registered, so it survives a reboot",
    usage: "qus persist [--platforms LIST] [--dir DIR] [--dry-run]",
    options: {
      platforms,
      dir: { type: "string", value: "DIR", help: "folder to write qemu-<cpu>.conf files to (default /etc/binfmt.d)" },
      "dry-run": { type: "boolean", help: "print the files instead of writing them" },
      json,
      markdown,
      driver,
    },
    needsPlatforms: false,
    run: (v) => persist({ platforms: text(v, "platforms"), dir: text(v, "dir"), dryRun: flag(v, "dry-run") }),
  },
];
