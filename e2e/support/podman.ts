import { engineCli } from "./docker.js";

/** Runs the podman CLI with an argv array. */
export function podman(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  return engineCli("podman", args);
}

/**
 * Fails fast when podman cannot run the tests: not installed, rootless, or unable to start a container here
 * (these VMs need `default_ulimits = []`, which tools/setup-podman.sh configures).
 */
export function requirePodman(): void {
  const info = podman(["info", "--format", "{{.Host.Security.Rootless}}"]);
  if (info.status !== 0) throw new Error(`the podman tests need podman (bash tools/setup-podman.sh): ${info.stderr}`);
  if (info.stdout !== "false") throw new Error("the podman tests need rootful podman: run them as root");
}
