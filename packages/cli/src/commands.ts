import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { BootstrapReport } from "@qus/buildx";
import {
  type Driver,
  ensure,
  exitCodeOf,
  persist,
  QusError,
  type QusErrorCode,
  type Report,
  remove,
  status,
  verify,
} from "@qus/core";
import type { Command, CommandOutput, OptionSpec, Values } from "./command.js";
import { EXPLAIN_COMMAND } from "./commands/explain.js";
import { K8S_COMMANDS } from "./commands/k8s.js";
import { QEMU_COMMANDS } from "./commands/qemu.js";
import { VM_COMMANDS } from "./commands/vm.js";
import { acrossContexts, contextsOf, dockerHostsOf } from "./endpoints.js";
import { EXIT, exitCodeForReport, gravest } from "./exit-codes.js";
import { flag, text } from "./values.js";

const platforms: OptionSpec = {
  type: "string",
  multiple: true,
  value: "LIST",
  help: "platforms, comma separated (repeatable, they add up): linux/arm64,riscv64,arm/v7 or all",
};
const json: OptionSpec = { type: "boolean", help: "print the report as JSON (stable shape, schemaVersion 1)" };
const markdown: OptionSpec = { type: "boolean", help: "print the report as Markdown (for CI job summaries)" };
const qemuPath: OptionSpec = {
  type: "string",
  value: "DIR",
  help: "local driver: look for qemu-<cpu>-static / qemu-<cpu> only in DIR",
};
const qemuFrom: OptionSpec = {
  type: "string",
  value: "SOURCE",
  help: "local driver: use the QEMU of SOURCE (debian:bookworm, debian:trixie, debian:sid), fetched into qus's cache when needed",
};
/** `--qemu-path` and `--qemu-from`, as core's options (core checks that they exclude each other). */
const qemuOf = (values: Values) => ({ qemuPath: text(values, "qemu-path"), qemuFrom: text(values, "qemu-from") });
const dryRun: OptionSpec = { type: "boolean", help: "report what would be done, change nothing" };
const junit: OptionSpec = {
  type: "string",
  value: "FILE",
  help: "also write the report as JUnit XML to FILE, one test case per platform (for CI test widgets)",
};
const driverOptions: Record<string, OptionSpec> = {
  driver: {
    type: "string",
    value: "NAME",
    help: "local: this machine's kernel (default); docker: the kernel behind the docker engine (DOCKER_HOST, DOCKER_CONTEXT); podman: the kernel behind rootful podman (CONTAINER_HOST, CONTAINERS_CONF)",
  },
  image: {
    type: "string",
    value: "REF",
    help: "docker and podman drivers: installer image: qus's own (default qus-binfmt:latest, from qus image build) or a tonistiigi/binfmt image",
  },
  privileged: {
    type: "boolean",
    help: "docker and podman drivers: run the helper --privileged (default: --cap-add SYS_ADMIN, privileged only if that fails)",
  },
  context: {
    type: "string",
    value: "NAME",
    help: "docker driver: docker context to use; podman driver: podman system connection to use; several, comma separated (status, ensure, verify, remove): each engine at once, one section each",
  },
};

/** The container engines qus reaches through their CLIs, by driver name (loaded on use from ./engines.js). */
const ENGINES = new Set(["docker", "podman"]);

/** The engine the options name (docker by default), for commands that only take a container engine. */
function engineFrom(values: Values): string {
  const name = text(values, "driver") ?? "docker";
  if (!ENGINES.has(name)) {
    throw new QusError("QUS_USAGE", `unknown driver ${JSON.stringify(name)}`, {
      hint: "use --driver docker or --driver podman",
    });
  }
  return name;
}

/** The driver the options ask for; undefined means the local default. */
export async function driverFrom(values: Values): Promise<Driver | undefined> {
  const name = text(values, "driver") ?? "local";
  if (name === "local") {
    for (const option of ["image", "privileged", "context"]) {
      if (values[option] !== undefined) {
        throw new QusError("QUS_USAGE", `--${option} goes with --driver docker or --driver podman`, {
          hint: "add --driver docker (or podman), or drop the option",
        });
      }
    }
    return undefined;
  }
  if (ENGINES.has(name)) {
    const { engineDriver } = await import("./engines.js");
    return engineDriver(name, {
      context: text(values, "context"),
      host: text(values, HOST),
      image: text(values, "image"),
      privileged: flag(values, "privileged") ? true : undefined,
    });
  }
  throw new QusError("QUS_USAGE", `unknown driver ${JSON.stringify(name)}`, {
    hint: "use --driver local, --driver docker or --driver podman",
  });
}

const common = async (values: Values) => ({ platforms: text(values, "platforms"), driver: await driverFrom(values) });

/** The key of {@link Values} that carries one engine address of a DOCKER_HOST list (no option can be named so). */
const HOST = "--host";

const junitTakesOne = (what: string) =>
  new QusError("QUS_USAGE", `--junit takes one engine: ${what} names several`, {
    hint: "run once per engine with its own --junit FILE, or drop --junit",
  });

/** A report command's output: one report, or one per engine, run at once, when --context names several. */
async function reportsOf(values: Values, run: (values: Values) => Promise<Report>): Promise<CommandOutput> {
  const contexts = contextsOf(text(values, "context"));
  const hosts =
    contexts.length === 0 && text(values, "driver") === "docker" ? dockerHostsOf(process.env.DOCKER_HOST) : [];
  if (hosts.length > 1) {
    if (values.junit !== undefined) throw junitTakesOne("DOCKER_HOST");
    return { endpoints: await acrossContexts(hosts, (host) => run({ ...values, [HOST]: host }), "host") };
  }
  if (contexts.length <= 1) return { report: await run(values) };
  if ((text(values, "driver") ?? "local") === "local") await driverFrom(values); // says --context needs an engine
  if (values.junit !== undefined) throw junitTakesOne("--context");
  return { endpoints: await acrossContexts(contexts, (context) => run({ ...values, context })) };
}

/**
 * `qus buildx`'s exit code: 0 when proven; else the gravest of the kernels' (the builder's and its other nodes'
 * engines), 1 when only proofs failed.
 */
function buildxExitCode(report: BootstrapReport): number {
  if (report.ok) return EXIT.ok;
  return gravest([
    EXIT.notOk,
    exitCodeForReport(report.binfmt),
    ...report.nodeBinfmt.map((node) =>
      node.report ? exitCodeForReport(node.report) : exitCodeOf(node.error?.code as QusErrorCode),
    ),
  ]);
}

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
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
  {
    name: "image build",
    summary:
      "build qus's installer image (busybox + QEMU from Debian packages, FROM scratch) on the docker or podman engine",
    usage:
      "qus image build [--tag T] [--deb-dir DIR] [--qemu-from SOURCE] [--driver docker|podman] [--context NAME] [--dry-run] [--json]",
    options: {
      tag: {
        type: "string",
        value: "T",
        help: "image tag (default qus-binfmt:latest; qus-binfmt:qemu-<version> is added)",
      },
      "deb-dir": {
        type: "string",
        value: "DIR",
        help: "use busybox-static and qemu-user-static .deb files from DIR instead of downloading",
      },
      "qemu-from": {
        type: "string",
        value: "SOURCE",
        help: "put the QEMU of SOURCE (debian:bookworm, debian:trixie, debian:sid) in the image, from qus's cache (fetched when needed)",
      },
      driver: {
        type: "string",
        value: "NAME",
        help: "the engine to build on: docker (default; DOCKER_HOST, DOCKER_CONTEXT) or podman (rootful)",
      },
      context: driverOptions.context as OptionSpec,
      "dry-run": { type: "boolean", help: "prepare the image and print its Dockerfile, build nothing" },
      json,
    },
    needsPlatforms: false,
    run: async (v) => {
      const engine = engineFrom(v);
      const { buildImageOn } = await import("./engines.js");
      const result = await buildImageOn(engine, text(v, "context"), {
        tag: text(v, "tag"),
        debDir: text(v, "deb-dir"),
        qemuFrom: text(v, "qemu-from"),
        dryRun: flag(v, "dry-run"),
      });
      const packages = result.packages.map((pkg) => `${pkg.name} ${pkg.version}`).join(", ");
      const lines = result.built
        ? [
            `built ${result.tags.join(", ")} for ${result.architecture}`,
            `  ${result.qemuVersion}`,
            `  from ${packages}${result.qemuSource ? ` (QEMU from ${result.qemuSource})` : ""}`,
          ]
        : [
            `(dry run) would build ${result.tags.join(", ")} for ${result.architecture} from ${packages}`,
            result.dockerfile,
          ];
      return { text: `${lines.join("\n")}\n`, json: result };
    },
  },
  ...QEMU_COMMANDS,
  EXPLAIN_COMMAND,
  ...K8S_COMMANDS,
  ...VM_COMMANDS,
  {
    name: "buildx",
    summary:
      "ensure binfmt on the engine's kernel, bootstrap a buildx builder, and prove each platform with a real build",
    usage:
      "qus buildx --platforms LIST [--name N] [--driver docker|docker-container] [--driver-opt K=V] [--use] [--replace] [--proof-timeout S] [--junit FILE] [--json]",
    options: {
      // Repeatable: --platforms a --platforms b proves both.
      platforms,
      name: {
        type: "string",
        value: "N",
        help: "builder name (docker-container, default qus; buildx's rule: a letter, then letters, digits, . - _)",
      },
      driver: {
        type: "string",
        value: "NAME",
        help: "buildx driver: docker (default, the engine's BuildKit) or docker-container",
      },
      "driver-opt": {
        type: "string",
        value: "K=V",
        multiple: true,
        help: "buildx driver option (repeatable), for a docker-container builder qus creates",
      },
      use: { type: "boolean", help: "make it the current builder once every platform is proven" },
      replace: {
        type: "boolean",
        help: "replace conflicting binfmt entries, and restart an existing builder (never removed)",
      },
      "proof-timeout": {
        type: "string",
        value: "S",
        help: "seconds one proof build may take before it is killed and its platform reported not proven (default 180)",
      },
      image: driverOptions.image as OptionSpec,
      privileged: driverOptions.privileged as OptionSpec,
      context: driverOptions.context as OptionSpec,
      "dry-run": dryRun,
      json,
      junit: { ...junit, help: `${junit.help}; a platform the builder did not build fails there too` },
    },
    needsPlatforms: true,
    run: async (v) => {
      // Loaded only here: buildx handling pulls in libraries no other command needs.
      const { bootstrap, provenReport, renderBootstrap } = await import("@qus/buildx");
      const driver = text(v, "driver") ?? "docker";
      if (driver !== "docker" && driver !== "docker-container") {
        throw new QusError("QUS_USAGE", `unknown buildx driver ${JSON.stringify(driver)}`, {
          hint: "use --driver docker or --driver docker-container",
        });
      }
      const proofTimeout = text(v, "proof-timeout");
      if (proofTimeout !== undefined && !/^[1-9][0-9]{0,5}$/.test(proofTimeout)) {
        throw new QusError("QUS_USAGE", `--proof-timeout ${JSON.stringify(proofTimeout)}: expected whole seconds`, {
          hint: "for example --proof-timeout 300",
        });
      }
      const list = (name: string): string[] => {
        const value = v[name];
        return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
      };
      const report = await bootstrap({
        platforms: list("platforms"),
        builder: text(v, "name"),
        driver,
        driverOpts: list("driver-opt"),
        use: flag(v, "use"),
        replace: flag(v, "replace"),
        dryRun: flag(v, "dry-run"),
        context: text(v, "context"),
        image: text(v, "image"),
        privileged: flag(v, "privileged") ? true : undefined,
        timeouts: proofTimeout === undefined ? undefined : { build: Number(proofTimeout) * 1000 },
      });
      const exitCode = buildxExitCode(report);
      return { text: renderBootstrap(report), json: report, exitCode, junit: provenReport(report) };
    },
  },
  {
    name: "gitlab",
    summary:
      "write qus's GitLab CI/CD component (DIR/templates/qus.yml) and/or a file for include: remote, with its integrity",
    usage: "qus gitlab [--out DIR] [--remote FILE] [--json]",
    options: {
      out: {
        type: "string",
        value: "DIR",
        help: "write the component into the project folder DIR, GitLab's layout: DIR/templates/qus.yml",
      },
      remote: {
        type: "string",
        value: "FILE",
        help: "write a standalone file for include: remote to FILE, and its integrity value to FILE.integrity",
      },
      json,
    },
    needsPlatforms: false,
    run: async (v) => {
      const out = text(v, "out");
      const remote = text(v, "remote");
      if (out === undefined && remote === undefined) {
        throw new QusError("QUS_USAGE", "qus gitlab needs --out DIR, --remote FILE or both", {
          hint: "for example: qus gitlab --out . --remote public/qus.yml",
        });
      }
      for (const [name, value] of [
        ["out", out],
        ["remote", remote],
      ] as const) {
        if (value === "") {
          throw new QusError("QUS_USAGE", `qus gitlab: --${name} needs a path`, {
            hint: "usage: qus gitlab [--out DIR] [--remote FILE]",
          });
        }
      }
      const { COMPONENT_PATH, integrityOf, renderComponent, renderRemote } = await import("@qus/gitlab");
      const write = (file: string, content: string) => {
        try {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, content);
        } catch (error) {
          throw new QusError("QUS_PERSIST_FAILED", `cannot write ${file}: ${(error as Error).message}`, {
            hint: "choose a folder you can write to",
            cause: error,
          });
        }
      };
      const lines: string[] = [];
      const result: { component?: string; remote?: string; integrity?: string } = {};
      if (out !== undefined) {
        const file = join(out, COMPONENT_PATH);
        write(file, renderComponent());
        result.component = file;
        lines.push(`wrote ${file}`);
      }
      if (remote !== undefined) {
        const content = renderRemote();
        const integrity = integrityOf(content);
        write(remote, content);
        write(`${remote}.integrity`, `${integrity}\n`);
        Object.assign(result, { remote, integrity });
        lines.push(`wrote ${remote}`, `wrote ${remote}.integrity`, `integrity: ${integrity}`);
      }
      return { text: `${lines.join("\n")}\n`, json: result };
    },
  },
];
