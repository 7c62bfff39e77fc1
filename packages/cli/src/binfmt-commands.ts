import { ensure, persist, remove, status, verify } from "@qus/core";
import type { Command, Values } from "./command.js";
import {
  driverOptions,
  dryRun,
  json,
  junit,
  markdown,
  platforms,
  qemuFrom,
  qemuOf,
  qemuPath,
} from "./common-options.js";
import { driverFrom } from "./driver-choice.js";
import { reportsOf } from "./reports-across-engines.js";
import { flag, text } from "./values.js";

/** The options every binfmt command passes to core: the platforms, and the driver that reaches the kernel. */
const common = async (values: Values) => ({ platforms: text(values, "platforms"), driver: await driverFrom(values) });

/** The commands on binfmt_misc itself: look, ensure, verify, remove, persist. */
export const BINFMT_COMMANDS: readonly Command[] = [
  {
    name: "status",
    summary: "show the binfmt_misc entries of the platforms (all by default); changes nothing",
    usage: "qus status [--platforms LIST] [--driver local|docker|podman] [--json]",
    options: { platforms, json, markdown, "qemu-path": qemuPath, "qemu-from": qemuFrom, ...driverOptions },
    needsPlatforms: false,
    run: (v) => reportsOf(v, async (values) => status({ ...(await common(values)), ...qemuOf(values) })),
  },
  {
    name: "ensure",
    summary: "register QEMU for the platforms, apply the least change, verify by running a program of each",
    usage:
      "qus ensure --platforms LIST|all [--replace] [--flags FLAGS] [--qemu-path DIR | --qemu-from SOURCE] [--driver local|docker|podman] [--dry-run] [--junit FILE] [--json]",
    options: {
      platforms,
      replace: {
        type: "boolean",
        help: "replace entries that differ or stand in the way (otherwise: reported as conflicts)",
      },
      flags: {
        type: "string",
        value: "FLAGS",
        help: "binfmt_misc flags (default FC: F works in containers, C keeps setuid working; P opt-in)",
      },
      "qemu-path": qemuPath,
      "qemu-from": qemuFrom,
      "dry-run": dryRun,
      json,
      markdown,
      junit,
      ...driverOptions,
    },
    needsPlatforms: true,
    run: (v) =>
      reportsOf(v, async (values) =>
        ensure({
          ...(await common(values)),
          replace: flag(values, "replace"),
          flags: text(values, "flags"),
          ...qemuOf(values),
          dryRun: flag(values, "dry-run"),
        }),
      ),
  },
  {
    name: "verify",
    summary: "run a program of each platform the way builds meet it (chrooted), and say which work",
    usage: "qus verify --platforms LIST [--driver local|docker|podman] [--junit FILE] [--json]",
    options: { platforms, json, markdown, junit, "qemu-path": qemuPath, "qemu-from": qemuFrom, ...driverOptions },
    needsPlatforms: true,
    run: (v) => reportsOf(v, async (values) => verify({ ...(await common(values)), ...qemuOf(values) })),
  },
  {
    name: "remove",
    summary:
      "remove qus's entries (qemu-<cpu>) of the platforms; another program's entries, of any name, are never touched",
    usage: "qus remove --platforms LIST|all [--driver local|docker|podman] [--dry-run] [--json]",
    options: { platforms, "dry-run": dryRun, json, markdown, ...driverOptions },
    needsPlatforms: true,
    run: (v) => reportsOf(v, async (values) => remove({ ...(await common(values)), dryRun: flag(values, "dry-run") })),
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
    },
    needsPlatforms: false,
    run: async (v) => ({
      report: await persist({ platforms: text(v, "platforms"), dir: text(v, "dir"), dryRun: flag(v, "dry-run") }),
    }),
  },
];
