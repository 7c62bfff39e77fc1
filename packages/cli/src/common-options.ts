import { QUS_IMAGE } from "@qus/core";
import type { OptionSpec, Values } from "./command.js";
import { text } from "./values.js";

// The options several commands share, with one help line each.

export const platforms: OptionSpec = {
  type: "string",
  multiple: true,
  value: "LIST",
  help: "platforms, comma separated (repeatable, they add up): linux/arm64,riscv64,arm/v7 or all",
};
export const json: OptionSpec = { type: "boolean", help: "print the report as JSON (stable shape, schemaVersion 1)" };
export const markdown: OptionSpec = { type: "boolean", help: "print the report as Markdown (for CI job summaries)" };
export const qemuPath: OptionSpec = {
  type: "string",
  value: "DIR",
  help: "local driver: look for qemu-<cpu>-static / qemu-<cpu> only in DIR",
};
export const qemuFrom: OptionSpec = {
  type: "string",
  value: "SOURCE",
  help: "local driver: use the QEMU of SOURCE (debian:bookworm, debian:trixie, debian:sid), fetched into qus's cache when needed",
};
/** `--qemu-path` and `--qemu-from`, as core's options (core checks that they exclude each other). */
export const qemuOf = (values: Values) => ({
  qemuPath: text(values, "qemu-path"),
  qemuFrom: text(values, "qemu-from"),
});
export const dryRun: OptionSpec = { type: "boolean", help: "report what would be done, change nothing" };
export const junit: OptionSpec = {
  type: "string",
  value: "FILE",
  help: "also write the report as JUnit XML to FILE, one test case per platform (for CI test widgets)",
};
export const driverOptions: Record<string, OptionSpec> = {
  driver: {
    type: "string",
    value: "NAME",
    help: "local: this machine's kernel (default); docker: the kernel behind the docker engine (DOCKER_HOST, DOCKER_CONTEXT); podman: the kernel behind rootful podman (CONTAINER_HOST, CONTAINERS_CONF)",
  },
  image: {
    type: "string",
    value: "REF",
    help: `docker and podman drivers: installer image: qus's own (default $QUS_IMAGE, else ${QUS_IMAGE}, pulled if missing; qus image build makes it with no registry) or a tonistiigi/binfmt image`,
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
