import {
  canonicalPlatform,
  createContainerDriver,
  createDockerCliRunner,
  type Driver,
  type Exec,
  ensure,
  execProcess,
  QusError,
  type Report,
  resolvePlatforms,
  type Target,
} from "@qus/core";
import { type BuildxCli, createArgs, createBuildxCli, inspectArgs, tail } from "./buildx-command.js";
import { type BuilderInfo, type BuilderNode, parseInspect } from "./inspect.js";
import { type Proof, proveAll } from "./prove.js";

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  /** Platforms as users write them: `linux/arm64,linux/arm/v7`, `riscv64`, `all`. */
  readonly platforms: string | readonly string[];
  /** Builder name; the context's own builder for the docker driver, `qus` for docker-container. */
  readonly builder?: string;
  /** buildx driver: `docker` (the engine's built-in BuildKit) or `docker-container`. */
  readonly driver?: "docker" | "docker-container";
  readonly driverOpts?: readonly string[];
  /** Make it the current builder (`buildx use`). */
  readonly use?: boolean;
  /** Replace conflicting binfmt entries, and recreate an existing builder. */
  readonly replace?: boolean;
  /** Ensure binfmt and inspect nothing else: report what would be done. */
  readonly dryRun?: boolean;
  /** docker context to use. */
  readonly context?: string;
  /** Helper image of the binfmt container driver. */
  readonly image?: string;
  readonly privileged?: boolean;
  /** Where binfmt is ensured; the kernel behind the engine (container driver) by default. */
  readonly binfmtDriver?: Driver;
  readonly exec?: Exec;
}

/** One requested platform on the builder. */
export interface PlatformProof {
  readonly platform: string;
  /** Some node lists it. A claim only: buildkit caches what it detected. */
  readonly listed: boolean;
  /** Runs natively on the builder's machine: no emulation needed. */
  readonly native: boolean;
  /** A build whose RUN step executed qus's probe for it succeeded. */
  readonly proven: boolean;
  readonly reason?: string;
}

/** What {@link bootstrap} did and proved. */
export interface BootstrapReport {
  readonly schemaVersion: 1;
  readonly builder: string;
  readonly driver: string;
  readonly created: boolean;
  /** The builder's nodes were restarted or recreated because they booted before binfmt was fixed. */
  readonly refreshed: boolean;
  readonly nodes: readonly BuilderNode[];
  readonly binfmt: Report;
  readonly platforms: readonly PlatformProof[];
  readonly warnings: readonly string[];
  readonly dryRun: boolean;
  readonly ok: boolean;
}

/**
 * Makes a buildx builder that builds every requested platform, and proves it: ensure binfmt on the builder's
 * kernel → create or reuse the builder → bootstrap it → check the listed platforms → build a FROM scratch image
 * that RUNs qus's probe for each platform → refresh a builder that booted before binfmt was fixed.
 */
export async function bootstrap(options: BootstrapOptions): Promise<BootstrapReport> {
  const exec = options.exec ?? execProcess;
  const requested = requestedPlatforms(options.platforms);
  const driver = options.driver ?? "docker";
  const cli = createBuildxCli(exec, options.context);
  // Validated before ensure: a usage error must not come after binfmt was changed.
  const name = builderName(driver, options);
  const binfmt = await ensure({
    platforms: requested.map((item) => canonicalPlatform(item.target)),
    replace: options.replace,
    dryRun: options.dryRun,
    driver:
      options.binfmtDriver ??
      createContainerDriver({
        runner: createDockerCliRunner({ context: options.context, exec }),
        image: options.image,
        privileged: options.privileged,
      }),
  });
  const native = new Set(binfmt.platforms.filter((p) => p.action === "native").map((p) => p.cpu));
  const binfmtChanged = binfmt.platforms.some((p) => ["register", "replace", "enable"].includes(p.action));
  const warnings: string[] = [];

  if (options.dryRun) {
    const platforms = requested.map(({ platform, target }) => ({
      platform,
      listed: false,
      native: native.has(target.cpu),
      proven: false,
    }));
    return {
      schemaVersion: 1,
      builder: name,
      driver,
      created: false,
      refreshed: false,
      nodes: [],
      binfmt,
      platforms,
      warnings,
      dryRun: true,
      ok: binfmt.ok,
    };
  }

  const { created, refreshed: recreated } = await prepareBuilder(cli, name, driver, options, binfmtChanged);
  let refreshed = recreated;
  let info = await inspect(cli, name);
  if (options.use) await mustSucceed(cli, ["use", name], `could not make ${name} the current builder`);

  let proofs = await proveAll(cli, name, requested);
  const failedListed = requested.filter(({ platform }, i) => !proofs[i]?.proven && isListed(info, platform));
  if (failedListed.length > 0 && driver === "docker-container" && !refreshed) {
    // Listed but not working: the node detected its platforms before binfmt was fixed. Restart it and prove again.
    await refreshNodes(cli, name);
    refreshed = true;
    info = await inspect(cli, name);
    proofs = await proveAll(cli, name, requested);
  } else if (failedListed.length > 0) {
    warnings.push(
      `${failedListed.map((item) => item.platform).join(", ")} listed by the builder but not working: its list is stale (the docker driver's BuildKit keeps what it detected until the engine restarts)`,
    );
  }
  const unlisted = requested.filter(({ platform }, i) => proofs[i]?.proven && !isListed(info, platform));
  if (unlisted.length > 0) {
    warnings.push(
      `${unlisted.map((item) => item.platform).join(", ")} proven but not listed: the builder's platform list is stale`,
    );
  }

  // A node that lists a platform as its own (starred) runs it natively: no emulation needed there.
  const nodeNative = new Set(info.nodes.flatMap((node) => node.preferred));
  const platforms = requested.map(({ platform, target }, i) =>
    toPlatformProof(platform, proofs[i], isListed(info, platform), native.has(target.cpu) || nodeNative.has(platform)),
  );
  const ok = binfmt.ok && platforms.every((platform) => platform.proven);
  return {
    schemaVersion: 1,
    builder: name,
    driver: info.driver || driver,
    created,
    refreshed,
    nodes: info.nodes,
    binfmt,
    platforms,
    warnings,
    dryRun: false,
    ok,
  };
}

/** Parses the platform list, keeping the platform as the user wrote it when it is an OCI platform. */
export function requestedPlatforms(input: string | readonly string[]): { platform: string; target: Target }[] {
  const names = (typeof input === "string" ? [input] : input).flatMap((part) => part.split(/[\s,]+/)).filter(Boolean);
  const seen = new Set<string>();
  const result: { platform: string; target: Target }[] = [];
  for (const name of names) {
    for (const target of resolvePlatforms(name)) {
      const platform = name.toLowerCase().startsWith("linux/") ? name.toLowerCase() : canonicalPlatform(target);
      if (seen.has(platform)) continue;
      seen.add(platform);
      result.push({ platform, target });
    }
  }
  return result;
}

function builderName(driver: string, options: BootstrapOptions): string {
  if (driver === "docker") {
    // The docker driver has exactly one builder per context, named after it.
    const contextBuilder = options.context ?? "default";
    if (options.builder && options.builder !== contextBuilder) {
      throw new QusError(
        "QUS_USAGE",
        `the docker driver's builder is the context's own (${contextBuilder}), not ${options.builder}`,
        {
          hint: "leave out --name, or use --driver docker-container for a named builder",
        },
      );
    }
    return contextBuilder;
  }
  if (driver !== "docker-container") {
    throw new QusError("QUS_USAGE", `unknown buildx driver ${JSON.stringify(driver)}`, {
      hint: "use docker or docker-container",
    });
  }
  return options.builder ?? "qus";
}

async function prepareBuilder(
  cli: BuildxCli,
  name: string,
  driver: string,
  options: BootstrapOptions,
  binfmtChanged: boolean,
): Promise<{ created: boolean; refreshed: boolean }> {
  if (driver === "docker") return { created: false, refreshed: false };
  const exists = (await cli.run(["inspect", name])).exitCode === 0;
  if (exists && options.replace) await mustSucceed(cli, ["rm", name], `could not remove builder ${name}`);
  if (!exists || options.replace) {
    await mustSucceed(
      cli,
      createArgs(name, driver, options.driverOpts ?? [], false),
      `could not create builder ${name}`,
    );
    return { created: true, refreshed: exists };
  }
  if (binfmtChanged) {
    // It booted before binfmt was fixed: its platform detection and emulator choice are stale.
    await refreshNodes(cli, name);
    return { created: false, refreshed: true };
  }
  return { created: false, refreshed: false };
}

async function refreshNodes(cli: BuildxCli, name: string): Promise<void> {
  await mustSucceed(cli, ["stop", name], `could not restart builder ${name}`);
}

async function inspect(cli: BuildxCli, name: string): Promise<BuilderInfo> {
  const result = await cli.run(inspectArgs(name));
  if (result.exitCode !== 0) {
    throw new QusError("QUS_EXEC_FAILED", `could not bootstrap builder ${name}: ${tail(result)}`, {
      hint: /buildkit/i.test(result.stderr)
        ? "the docker-container driver needs the moby/buildkit image on the engine"
        : "check docker buildx ls",
    });
  }
  return parseInspect(result.stdout);
}

async function mustSucceed(cli: BuildxCli, args: readonly string[], what: string): Promise<void> {
  const result = await cli.run(args);
  if (result.exitCode !== 0)
    throw new QusError("QUS_EXEC_FAILED", `${what}: ${tail(result)}`, { hint: `docker buildx ${args.join(" ")}` });
}

function isListed(info: BuilderInfo, platform: string): boolean {
  return info.nodes.some((node) => node.platforms.includes(platform));
}

function toPlatformProof(platform: string, proof: Proof | undefined, listed: boolean, native: boolean): PlatformProof {
  return { platform, listed, native, proven: proof?.proven ?? false, reason: proof?.reason };
}
