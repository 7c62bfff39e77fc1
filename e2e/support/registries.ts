import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * The two loopback registries of tools/registries.sh, started for a test file in a folder of its own (so a pair a
 * developer runs by hand is never touched), and what they are reached by.
 */
const SCRIPT = fileURLToPath(new URL("../../tools/registries.sh", import.meta.url));

/** Where the registries answer. */
export interface Registries {
  /** The npm registry's URL (`http://127.0.0.1:PORT/`). */
  readonly npm: string;
  /** A userconfig naming that registry with a publish token. */
  readonly npmrc: string;
  /** The OCI registry's address (`127.0.0.1:PORT`). */
  readonly oci: string;
}

function registries(command: "start" | "stop", dir: string): string {
  const result = spawnSync("bash", [SCRIPT, command], {
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, QUS_REGISTRIES_DIR: dir },
  });
  if (result.status !== 0) {
    throw new Error(`tools/registries.sh ${command} failed (${result.status}): ${result.stderr}${result.error ?? ""}`);
  }
  return result.stdout;
}

/** Starts both registries with their state in `dir` (removed by {@link stopRegistries}). */
export function startRegistries(dir: string): Registries {
  const lines = new Map(
    registries("start", dir)
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const),
  );
  const value = (name: string) => {
    const found = lines.get(name);
    if (!found) throw new Error(`tools/registries.sh start printed no ${name}`);
    return found;
  };
  return { npm: value("QUS_NPM_REGISTRY"), npmrc: value("QUS_NPMRC"), oci: value("QUS_OCI_REGISTRY") };
}

/** Stops both registries started in `dir` and removes the folder. */
export function stopRegistries(dir: string): void {
  registries("stop", dir);
}

/**
 * An image reference with only its registry replaced (`ghcr.io/qus/qus-binfmt:0.1.0` →
 * `127.0.0.1:5000/qus/qus-binfmt:0.1.0`); one without a registry gets the prefix. Docker's rule: the first path
 * component is a registry when it has a dot or a port, or is `localhost`.
 */
export function withRegistry(reference: string, registry: string): string {
  const slash = reference.indexOf("/");
  const first = slash < 0 ? "" : reference.slice(0, slash);
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  return `${registry}/${hasRegistry ? reference.slice(slash + 1) : reference}`;
}
