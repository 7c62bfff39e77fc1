import type { Client, Container } from "@dagger.io/dagger";
import { QusError } from "@qus/core";
import {
  type ContainerOutcome,
  type ContainerRunner,
  type EngineInfo,
  PROGRAM_PATH,
  type Privilege,
  type RunSpec,
} from "@qus/core/runner";
import { ENDPOINT, engineAnswered, engineCall, engineInfo } from "./engine.js";
import { DEFAULT_EXEC_TIMEOUT_MS, execToEnd } from "./exec.js";
import { type ProgramFiles, workdirProgramFiles } from "./program-file.js";

/** Options of {@link createDaggerRunner}. */
export interface DaggerRunnerOptions {
  /** Turns a program's bytes into a Dagger File: the module's working directory by default. */
  readonly programFiles?: ProgramFiles;
  /** Bound of a helper container whose spec sets none: 120 s. */
  readonly runTimeoutMs?: number;
}

/** How the Dagger runner names a privilege level: what it sets on `withExec`. */
export function describeDaggerPrivilege(privilege: Privilege): string {
  return privilege === "full" ? "withExec insecureRootCapabilities" : "withExec without extra capabilities";
}

/**
 * core's {@link ContainerRunner} on a Dagger engine: each helper container is a `withExec` in the engine, `full`
 * privilege is `insecureRootCapabilities` (Dagger has nothing between: pass `privileged: true` to the container
 * driver so it does not try `least` first), and images come from registries (a Dagger engine has no local image
 * store, so `buildImage` cannot serve: push qus's installer and name it).
 */
export function createDaggerRunner(client: Client, options: DaggerRunnerOptions = {}): ContainerRunner {
  const programFiles = options.programFiles ?? workdirProgramFiles(client);
  const runTimeoutMs = options.runTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  let info: Promise<EngineInfo> | undefined;

  function base(spec: Pick<RunSpec, "image" | "platform">): Container {
    return client.container(spec.platform ? { platform: spec.platform as never } : {}).from(spec.image);
  }

  /** The image as the engine resolves it (pulled from its registry), or why not. */
  async function resolveImage(image: string): Promise<Container | undefined> {
    try {
      return await engineCall(`from ${image}`, () => base({ image }).sync());
    } catch (error) {
      if (engineAnswered(error)) return undefined;
      throw error;
    }
  }

  return {
    name: "dagger",
    endpoint: ENDPOINT,

    info() {
      info ??= engineInfo(client).catch((error: unknown) => {
        info = undefined;
        throw error;
      });
      return info;
    },

    describePrivilege: describeDaggerPrivilege,

    async imageLabels(image) {
      const container = await resolveImage(image);
      if (!container) return undefined;
      const pairs = await engineCall(`labels of ${image}`, async () => {
        const labels = await container.labels();
        return Promise.all(labels.map(async (label) => [await label.name(), await label.value()] as const));
      });
      return Object.fromEntries(pairs);
    },

    async run(spec): Promise<ContainerOutcome> {
      const args = spec.entrypoint !== undefined ? [spec.entrypoint, ...spec.command] : [...spec.command];
      return execToEnd(base(spec), args, {
        useEntrypoint: spec.entrypoint === undefined,
        insecureRootCapabilities: spec.privilege === "full",
        timeoutMs: spec.timeoutMs ?? runTimeoutMs,
      });
    },

    async runProgram(spec, program): Promise<ContainerOutcome> {
      const file = await programFiles(program);
      return execToEnd(base(spec).withFile(PROGRAM_PATH, file, { permissions: 0o755 }), [PROGRAM_PATH], {
        insecureRootCapabilities: spec.privilege === "full",
        timeoutMs: spec.timeoutMs ?? runTimeoutMs,
      });
    },

    async pull(image) {
      return (await resolveImage(image)) !== undefined;
    },

    async buildImage(spec) {
      throw new QusError(
        "QUS_USAGE",
        `a Dagger engine keeps no local images, so ${spec.tags[0] ?? "qus's installer"} cannot be built and tagged there`,
        {
          hint: "leave image out to pull qus's default installer image, or push one to a registry (qus image build, then docker push) and pass it as image",
        },
      );
    },
  };
}
