import { QusError } from "@qus/core";
import { alignRows, formatCommand } from "@qus/core/toolkit";
import { type Command, POSITIONALS, type Values } from "../command.js";
import { exitCodeWhen, passedThroughExitCode } from "../exit-codes.js";
import { flag, text } from "../values.js";

declare const QUS_VERSION: string | undefined;

const json = { type: "boolean", help: "print the result as JSON" } as const;
const progress = (line: string) => process.stderr.write(`qus vm: ${line}\n`);
const createdBy = () => `qus ${typeof QUS_VERSION === "string" ? QUS_VERSION : "0.0.0-dev"}`;
const vm = () => import("@qus/vm");

/** A whole number of seconds given as `--NAME SECS`, in milliseconds. */
function seconds(values: Values, name: string): number | undefined {
  const value = text(values, name);
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,5}$/.test(value)) {
    throw new QusError("QUS_USAGE", `--${name} ${JSON.stringify(value)} is not a whole number of seconds`, {
      hint: `e.g. --${name} 300`,
    });
  }
  return Number(value) * 1000;
}

/** The value of an option a command cannot do without: missing or empty, it is bad input naming the option. */
function required(values: Values, name: string, command: string, usage: string): string {
  const value = text(values, name);
  if (value) return value;
  throw new QusError("QUS_USAGE", `qus ${command} needs --${name}`, { hint: `usage: ${usage}` });
}

/** The one positional argument a command takes (`qus vm start DIR`). */
function onePositional(values: Values, what: string, usage: string): string {
  const positionals = (values[POSITIONALS] as string[] | undefined) ?? [];
  const [first, ...extra] = positionals;
  if (first === undefined || extra.length > 0) {
    throw new QusError(
      "QUS_USAGE",
      first === undefined ? `give the ${what}` : `one ${what} only, not ${positionals.length}`,
      {
        hint: `usage: ${usage}`,
      },
    );
  }
  return first;
}

const USAGE = {
  create:
    "qus vm create --arch ARCH --out DIR [--docker] [--suite SUITE] [--size SIZE] [--name NAME] [--mirror URL] [--json]",
  start: "qus vm start DIR [--boot-timeout SECS] [--memory MIB] [--json]",
  stop: "qus vm stop DIR [--timeout SECS] [--json]",
  status: "qus vm status [--json]",
  run: "qus vm run DISK|DIR [--timeout SECS] [--json] -- CMD [ARG...]",
  fromImage: "qus vm from-image IMAGE --out DISK [--size SIZE] [--suite SUITE] [--mirror URL] [--json]",
  toImage: "qus vm to-image DISK|DIR --tag TAG [--platform P] [--json]",
};

/** `qus vm ...`: foreign-architecture VMs that run Docker, and container images to disks and back (@qus/vm). */
export const VM_COMMANDS: readonly Command[] = [
  {
    name: "vm create",
    summary: "build a VM of another architecture from Debian packages (with Docker: --docker)",
    usage: USAGE.create,
    options: {
      arch: {
        type: "string",
        value: "ARCH",
        help: "the guest's architecture: arm64 or armhf (linux/arm64, linux/arm/v7)",
      },
      out: { type: "string", value: "DIR", help: "the VM's folder to write (new or empty)" },
      docker: { type: "boolean", help: "install docker.io and let the host reach the guest's dockerd" },
      suite: { type: "string", value: "SUITE", help: "Debian suite (default bookworm)" },
      size: { type: "string", value: "SIZE", help: "disk size in M or G (default 4G)" },
      name: { type: "string", value: "NAME", help: "host name and docker context name (default qus-ARCH)" },
      mirror: { type: "string", value: "URL", help: "Debian mirror (default http://deb.debian.org/debian)" },
      json,
    },
    needsPlatforms: false,
    run: async (values) => {
      const arch = required(values, "arch", "vm create", USAGE.create);
      const out = required(values, "out", "vm create", USAGE.create);
      const { createVm } = await vm();
      const started = Date.now();
      const created = await createVm({
        arch,
        out,
        docker: flag(values, "docker"),
        suite: text(values, "suite"),
        size: text(values, "size"),
        name: text(values, "name"),
        mirror: text(values, "mirror"),
        createdBy: createdBy(),
        onProgress: progress,
      });
      const { manifest } = created;
      const lines = [
        `created ${manifest.name} in ${created.dir} in ${Math.round((Date.now() - started) / 1000)} s:`,
        `  ${manifest.arch} ${manifest.suite}, kernel ${manifest.kernel.version}, ${manifest.packages.length} packages${manifest.docker ? ", Docker" : ""}, ${manifest.diskSize} disk`,
        `start it: ${formatCommand(["qus", "vm", "start", created.dir])}`,
      ];
      return { text: `${lines.join("\n")}\n`, json: created };
    },
  },
  {
    name: "vm start",
    summary: "boot a VM in the background; with Docker, wait for its dockerd and create a docker context",
    usage: USAGE.start,
    positionals: "DIR",
    options: {
      "boot-timeout": { type: "string", value: "SECS", help: "how long to wait for the guest's dockerd (default 300)" },
      memory: { type: "string", value: "MIB", help: "the guest's memory in MiB (default 2048)" },
      json,
    },
    needsPlatforms: false,
    run: async (values) => {
      const dir = onePositional(values, "VM folder", USAGE.start);
      const memory = text(values, "memory");
      if (memory !== undefined && !/^[1-9]\d{1,5}$/.test(memory)) {
        throw new QusError("QUS_USAGE", `--memory ${JSON.stringify(memory)} is not a number of MiB`, {
          hint: "e.g. --memory 2048",
        });
      }
      const { startVm } = await vm();
      const started = await startVm({
        dir,
        bootTimeoutMs: seconds(values, "boot-timeout"),
        memoryMb: memory === undefined ? undefined : Number(memory),
        onProgress: progress,
      });
      const { state } = started;
      const lines = [
        `${state.name} runs (${state.arch}, ${started.kvm ? "KVM" : "TCG"}, QEMU pid ${state.pid}), ready in ${Math.round(started.bootMs / 1000)} s`,
      ];
      if (started.dockerHost) {
        if (state.context)
          lines.push(`  ${formatCommand(["docker", "--context", state.context, "run", "--rm", "IMAGE"])}`);
        lines.push(`  ${formatCommand(["export", `DOCKER_HOST=${started.dockerHost}`])}`);
        lines.push(
          `  images reach it with: docker save IMAGE | ${formatCommand(["docker", "--context", state.context ?? state.name, "load"])}`,
        );
      }
      lines.push(`  console log: ${state.consoleLog}`, `stop it: ${formatCommand(["qus", "vm", "stop", state.dir])}`);
      for (const warning of started.warnings) lines.push(`warning: ${warning}`);
      return { text: `${lines.join("\n")}\n`, json: started };
    },
  },
  {
    name: "vm stop",
    summary: "shut a VM down (cleanly, else by ending QEMU) and remove its docker context",
    usage: USAGE.stop,
    positionals: "DIR",
    options: {
      timeout: { type: "string", value: "SECS", help: "how long the guest may take to power off (default 60)" },
      json,
    },
    needsPlatforms: false,
    run: async (values) => {
      const dir = onePositional(values, "VM folder", USAGE.stop);
      const { stopVm } = await vm();
      const stopped = await stopVm({ dir, timeoutMs: seconds(values, "timeout") });
      const text =
        stopped.how === "not-running"
          ? `${stopped.name ?? dir} was not running\n`
          : `${stopped.name} stopped: ${stopped.how === "shutdown" ? "the guest powered off" : "it did not power off in time, QEMU was ended"} (${(stopped.ms / 1000).toFixed(1)} s)\n`;
      return { text, json: stopped };
    },
  },
  {
    name: "vm status",
    summary: "list the VMs qus started; report and forget those whose QEMU died",
    usage: USAGE.status,
    options: { json },
    needsPlatforms: false,
    run: async () => {
      const { vmStatus } = await vm();
      const vms = await vmStatus();
      const rows = [
        ["name", "arch", "state", "pid", "docker", "context", "dir"],
        ...vms.map(({ state, status }) => [
          state.name,
          state.arch,
          status,
          String(state.pid),
          state.dockerPort ? `tcp://127.0.0.1:${state.dockerPort}` : "-",
          state.context ?? "-",
          state.dir,
        ]),
      ];
      const died = vms.filter((entry) => entry.status === "died");
      const summary =
        vms.length === 0
          ? "vm status: no VM is running"
          : died.length === 0
            ? `vm status: ${vms.length} running`
            : `vm status: ${died.length} died without qus vm stop (its context and files are removed; console log: ${died.map((entry) => entry.state.consoleLog).join(", ")})`;
      const lines = vms.length === 0 ? [summary] : [...alignRows(rows), summary];
      return { text: `${lines.join("\n")}\n`, json: vms, exitCode: exitCodeWhen(died.length === 0) };
    },
  },
  {
    name: "vm run",
    summary:
      "boot a disk to run one command on the guest's own kernel, print its output, exit with its status (125: qus failed)",
    usage: USAGE.run,
    positionals: "DISK -- CMD...",
    passesStatusThrough: true,
    options: {
      timeout: { type: "string", value: "SECS", help: "end the VM after this long, boot included (default 300)" },
      json,
    },
    needsPlatforms: false,
    run: async (values) => {
      const [disk, ...argv] = (values[POSITIONALS] as string[] | undefined) ?? [];
      if (disk === undefined)
        throw new QusError("QUS_USAGE", "give the disk or VM folder", { hint: `usage: ${USAGE.run}` });
      const { runOnDisk } = await vm();
      const result = await runOnDisk({ disk, argv, timeoutMs: seconds(values, "timeout") });
      return { text: result.output, json: result, exitCode: passedThroughExitCode({ status: result.exitCode }) };
    },
  },
  {
    name: "vm from-image",
    summary: "write a container image's file system into a bootable disk, with a Debian kernel added",
    usage: USAGE.fromImage,
    positionals: "IMAGE",
    options: {
      out: { type: "string", value: "DISK", help: "the qcow2 disk to write (a new file)" },
      size: { type: "string", value: "SIZE", help: "disk size in M or G (default: the image's size and a margin)" },
      suite: { type: "string", value: "SUITE", help: "the Debian suite whose kernel boots it (default bookworm)" },
      mirror: { type: "string", value: "URL", help: "Debian mirror (default http://deb.debian.org/debian)" },
      json,
    },
    needsPlatforms: false,
    run: async (values) => {
      const image = onePositional(values, "image", USAGE.fromImage);
      const out = required(values, "out", "vm from-image", USAGE.fromImage);
      const { fromImage } = await vm();
      const written = await fromImage({
        image,
        out,
        size: text(values, "size"),
        suite: text(values, "suite"),
        mirror: text(values, "mirror"),
        createdBy: createdBy(),
        onProgress: progress,
      });
      const run = formatCommand(["qus", "vm", "run", written.disk, "--", "/bin/sh", "-c", "uname -m"]);
      return {
        text: `wrote ${written.disk} (${written.manifest.platform}, ${written.manifest.diskSize})\nboot it: ${run}\n`,
        json: written,
      };
    },
  },
  {
    name: "vm to-image",
    summary: "load a disk's root file system into the engine as an image of the guest's platform",
    usage: USAGE.toImage,
    positionals: "DISK",
    options: {
      tag: { type: "string", value: "TAG", help: "the image's name" },
      platform: { type: "string", value: "P", help: "the image's platform, for a disk without a qus manifest" },
      json,
    },
    needsPlatforms: false,
    run: async (values) => {
      const disk = onePositional(values, "disk or VM folder", USAGE.toImage);
      const tag = required(values, "tag", "vm to-image", USAGE.toImage);
      const { toImage } = await vm();
      const loaded = await toImage({ disk, tag, platform: text(values, "platform"), onProgress: progress });
      const run = formatCommand(["docker", "run", "--rm", "--platform", loaded.platform, loaded.tag, "uname", "-m"]);
      return { text: `loaded ${loaded.tag} (${loaded.platform})\nrun it: ${run}\n`, json: loaded };
    },
  },
];
