import { randomBytes } from "node:crypto";
import {
  canonicalPlatform,
  createContainerDriver,
  createDockerCliRunner,
  type Driver,
  describeFailure,
  type Exec,
  type ExecResult,
  ensure,
  entryName,
  execProcess,
  type FailureContext,
  failureHint,
  formatCommand,
  isQusError,
  onInterrupt,
  type ProbeFailureKind,
  platformNames,
  QusError,
  type QusErrorCode,
  type Report,
  resolvePlatforms,
  type Target,
} from "@qus/core";
import {
  type BuildxCli,
  type BuildxTimeouts,
  createArgs,
  createBuildxCli,
  DEFAULT_TIMEOUTS,
  inspectArgs,
  isNoBuilder,
  lastError,
  seconds,
  tail,
} from "./buildx-command.js";
import { checkEngine, type EngineAnswer, engineIdAt, INFO_ARGS } from "./engine.js";
import { type BuilderInfo, type BuilderNode, parseInspect } from "./inspect.js";
import { type Proof, proveMany } from "./prove.js";

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  /** Platforms as users write them: `linux/arm64,linux/arm/v7`, `riscv64`, `all`. */
  readonly platforms: string | readonly string[];
  /** Builder name; the context's own builder for the docker driver, `qus` for docker-container. */
  readonly builder?: string;
  /** buildx driver: `docker` (the engine's built-in BuildKit) or `docker-container`. */
  readonly driver?: "docker" | "docker-container";
  /** `key=value` options for a docker-container builder qus creates (`--driver-opt`). */
  readonly driverOpts?: readonly string[];
  /** Make it the current builder (`buildx use`), once every platform is proven. */
  readonly use?: boolean;
  /** Replace conflicting binfmt entries, and restart an existing docker-container builder's nodes. */
  readonly replace?: boolean;
  /** Ensure binfmt and inspect nothing else: report what would be done. */
  readonly dryRun?: boolean;
  /** docker context to use. */
  readonly context?: string;
  /** Helper image of the binfmt container driver. */
  readonly image?: string;
  /** The binfmt helper: true starts with full privilege, false never escalates, unset escalates when least privilege is refused. */
  readonly privileged?: boolean;
  /** Where binfmt is ensured; the kernel behind the engine (container driver) by default. */
  readonly binfmtDriver?: Driver;
  /**
   * Where binfmt is ensured for a node of the builder on another engine (its endpoint: a docker context or an
   * engine address); the container driver on that engine by default.
   */
  readonly nodeBinfmtDriver?: (endpoint: string) => Driver;
  /** Per-command timeouts, in milliseconds ({@link DEFAULT_TIMEOUTS} for those left out). */
  readonly timeouts?: Partial<BuildxTimeouts>;
  /** How processes run (core's {@link execProcess} by default): a seam for tests. */
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
  /**
   * How its proof failed, as a stable kind (as a probe's `failure` in core's reports): `no-handler`,
   * `interpreter-unreachable`, `crashed`, `timeout` (the build was killed at its timeout) or `exit-status`. Absent
   * when proven, and when the build failed before the probe ran.
   */
  readonly failure?: ProbeFailureKind;
  /** The data behind it: exit status, signal, the runtime's exec error, the command killed, or buildx's error. */
  readonly detail?: string;
  /** Why it is not proven, in words: core's words for the kind, or buildx's error when there is no kind. */
  readonly reason?: string;
  /** What to do about it, with commands safe to paste. */
  readonly hint?: string;
  /** Why it is not proven: `QUS_TIMEOUT` (the proof build was killed at its timeout) or `QUS_EXEC_FAILED`. */
  readonly code?: QusErrorCode;
}

/** What {@link bootstrap} did and proved. */
export interface BootstrapReport {
  /** Changes only when the shape does. */
  readonly schemaVersion: 1;
  /** The builder's name (the docker driver's is the context's). */
  readonly builder: string;
  /** Its buildx driver, as buildx reports it. */
  readonly driver: string;
  /** This run created the builder. */
  readonly created: boolean;
  /** The builder's nodes were restarted because they booted before binfmt was fixed (or `replace` asked). */
  readonly refreshed: boolean;
  /** The builder was made the current one (`use` asked, and every platform proven). */
  readonly used: boolean;
  /** The builder's nodes after bootstrapping, as `buildx inspect` shows them (none in a dry run). */
  readonly nodes: readonly BuilderNode[];
  /** What ensuring binfmt on the builder's kernel did: core's report, as `qus ensure --json` gives it. */
  readonly binfmt: Report;
  /** The same on the engine behind each other node of a docker-container builder (nodes appended elsewhere). */
  readonly nodeBinfmt: readonly NodeBinfmt[];
  /** Each requested platform, in the order asked. */
  readonly platforms: readonly PlatformProof[];
  readonly warnings: readonly string[];
  /** Nothing was created, restarted or built: binfmt was planned only. */
  readonly dryRun: boolean;
  /** binfmt is ok and every platform is proven (in a dry run: binfmt would be ok). */
  readonly ok: boolean;
}

/** binfmt on the engine behind one more node of a builder: core's report, or why it could not be ensured there. */
export interface NodeBinfmt {
  readonly node: string;
  /** The node's endpoint: a docker context, or an engine address (unix://, tcp://, ssh://). */
  readonly endpoint: string;
  readonly report?: Report;
  readonly error?: { readonly code: string; readonly message: string; readonly hint?: string };
}

/** Engine addresses the docker CLI reaches with --host; any other scheme is not a docker engine. */
const ENGINE_ADDRESS = /^(unix|tcp|ssh|npipe|fd):\/\//;

/** What buildx says when a builder of the name appeared between a look-up and a create. */
const CREATE_RACE = /existing instance|did you mean to append/i;

/** buildx's rule for builder (and node) names: a letter, then letters, digits, `.`, `-` and `_`. */
export const BUILDER_NAME = /^[a-zA-Z][a-zA-Z0-9._-]*$/;

/** The builder this run created: its name, and the node name that tells it from a builder made by anyone else. */
interface Created {
  readonly name: string;
  readonly node: string;
}

/**
 * Makes a buildx builder that builds every requested platform, and proves it: check the input and that the engine
 * answers → ensure binfmt on the builder's kernel → create or reuse the builder → bootstrap it → check the listed
 * platforms → build a FROM scratch image that RUNs qus's probe for each platform → refresh a builder that booted
 * before binfmt was fixed.
 *
 * Every docker command is bounded by a timeout ({@link DEFAULT_TIMEOUTS}). A builder this run created is removed
 * again when the run ends in an error; a builder that existed before is never removed.
 */
export async function bootstrap(options: BootstrapOptions): Promise<BootstrapReport> {
  const exec = options.exec ?? execProcess;
  const timeouts: BuildxTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  // Input first: a usage error must come before any process runs and before binfmt is changed.
  const requested = requestedPlatforms(options.platforms);
  const driver = options.driver ?? "docker";
  checkInput(driver, options);
  // The engine is asked `docker info` once: the binfmt helper's runner (core's) gets the engine check's answer.
  const shared = shareEngineAnswer(exec);
  const cli = createBuildxCli(shared.exec, options.context);

  const engine = await checkEngine(cli, options.context, timeouts.info);
  const name = builderName(driver, engine.context, options);
  const existing = driver === "docker-container" ? await findBuilder(cli, name, timeouts) : undefined;
  if (existing && existing.driver !== driver) {
    throw new QusError(
      "QUS_USAGE",
      `builder ${name} exists with the ${existing.driver || "unknown"} driver, not ${driver}`,
      { hint: "choose another --name, or leave out --driver to use the docker driver" },
    );
  }

  // The docker driver's builder is the engine's own BuildKit: bootstrapping it needs nothing from binfmt, so it
  // runs alongside the ensure (read again below when binfmt changed, as its platform list may predate that).
  const early = driver === "docker" && !options.dryRun ? bootstrapBuilder(cli, name, timeouts) : undefined;
  early?.catch(() => {});
  const timedOut: string[] = [];
  let binfmt: Report;
  try {
    binfmt = await ensureBinfmt(options, requested, watchTimeouts(shared.exec, timedOut), timedOut);
  } catch (error) {
    await early?.catch(() => {});
    throw error;
  }
  // Each other node's engine too, once the main one is done (two names of one engine then find it ensured).
  const nodeBinfmt =
    existing && driver === "docker-container"
      ? await ensureNodeEngines(
          options,
          await otherNodeEngines(existing.nodes, engine, exec, timeouts.info),
          requested,
          exec,
        )
      : [];
  const native = new Set(binfmt.platforms.filter((p) => p.action === "native").map((p) => p.cpu));
  const binfmtChanged = [binfmt, ...nodeBinfmt.flatMap((node) => node.report ?? [])].some((report) =>
    report.platforms.some((p) => ["register", "replace", "enable"].includes(p.action)),
  );
  const nodesOk = nodeBinfmt.every((node) => node.report?.ok === true);
  const warnings = timedOut.map((what) => `while ensuring binfmt, ${what}`);

  if (options.dryRun) {
    const platforms = requested.map(({ platform, target }) => ({
      platform,
      listed: false,
      native: native.has(target.cpu),
      proven: false,
    }));
    if (driver === "docker-container" && !existing) warnings.push(`would create builder ${name}`);
    return {
      schemaVersion: 1,
      builder: name,
      driver,
      created: false,
      refreshed: false,
      used: false,
      nodes: [],
      binfmt,
      nodeBinfmt,
      platforms,
      warnings,
      dryRun: true,
      ok: binfmt.ok && nodesOk,
    };
  }

  let created: Created | undefined;
  let forgetInterrupt = () => {};
  try {
    const prepared = await prepareBuilder(cli, name, driver, options, existing !== undefined, binfmtChanged, timeouts);
    created = prepared.created;
    if (created) {
      const own = created;
      forgetInterrupt = onInterrupt(() => removeOnInterrupt(cli, own, timeouts));
    }
    warnings.push(...prepared.warnings);
    let refreshed = prepared.refreshed;
    let info: BuilderInfo;
    if (early && !binfmtChanged) info = await early;
    else {
      await early?.catch(() => {});
      info = await bootstrapBuilder(cli, name, timeouts);
    }

    const proofOptions = { timeoutMs: timeouts.build };
    let proofs = await proveMany(cli, name, requested, proofOptions);
    const failedListed = requested.filter(({ platform }, i) => !proofs[i]?.proven && isListed(info, platform));
    if (failedListed.length > 0 && driver === "docker-container" && !refreshed) {
      // Listed but not working: the node detected its platforms before binfmt was fixed. Restart it, prove again.
      await refreshNodes(cli, name, timeouts);
      refreshed = true;
      info = await bootstrapBuilder(cli, name, timeouts);
      proofs = await proveMany(cli, name, requested, proofOptions);
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
      toPlatformProof(
        {
          platform,
          target,
          listed: isListed(info, platform),
          native: native.has(target.cpu) || nodeNative.has(platform),
        },
        proofs[i],
        binfmt,
      ),
    );
    const ok = binfmt.ok && nodesOk && platforms.every((platform) => platform.proven);
    let used = false;
    if (options.use && ok) {
      await mustSucceed(cli, ["use", name], `could not make ${name} the current builder`, timeouts.use);
      used = true;
    } else if (options.use) {
      warnings.push(`${name} not made the current builder: not every platform is proven`);
    }
    if (created && !ok) {
      warnings.push(
        `builder ${name} was created by this run and kept: it runs, but not every platform is proven (remove it with: ${cli.display(["rm", name])})`,
      );
    }
    forgetInterrupt();
    return {
      schemaVersion: 1,
      builder: name,
      driver: info.driver || driver,
      created: created !== undefined,
      refreshed,
      used,
      nodes: info.nodes,
      binfmt,
      nodeBinfmt,
      platforms,
      warnings,
      dryRun: false,
      ok,
    };
  } catch (error) {
    forgetInterrupt();
    if (!created) throw error;
    throw withRemoval(error, await removeCreated(cli, created, timeouts), created, cli);
  }
}

/**
 * The platforms to prove, from core's {@link resolvePlatforms} (names, aliases, `all`, its errors), each as the
 * OCI platform to build. buildx builds `linux/arm/v6` and `linux/arm/v7` apart while core resolves both to the arm
 * target, so an OCI platform of a target that was written as such is kept; a target named otherwise is built as its
 * canonical platform.
 */
export function requestedPlatforms(input: string | readonly string[]): { platform: string; target: Target }[] {
  const targets = resolvePlatforms(input);
  // The names as written tell which variants (linux/arm/v6) were asked for.
  const written = new Set(platformNames(input).map((name) => name.toLowerCase()));
  return targets.flatMap((target) => {
    const variants = target.platforms.filter((platform) => written.has(platform));
    const canonical = canonicalPlatform(target);
    const otherwise =
      variants.length === 0 || written.has("all") || [target.cpu, ...target.aliases].some((name) => written.has(name));
    const platforms = otherwise && !variants.includes(canonical) ? [canonical, ...variants] : variants;
    return platforms.map((platform) => ({ platform, target }));
  });
}

/** A builder name as buildx accepts it (its `store.ValidateName`), or a `QUS_USAGE` error naming it. */
export function validateBuilderName(name: string): string {
  if (!BUILDER_NAME.test(name)) {
    throw new QusError("QUS_USAGE", `invalid builder name ${JSON.stringify(name)} (--name)`, {
      hint: "a builder name starts with a letter and has only letters, digits, '.', '-' and '_' (buildx's rule)",
    });
  }
  return name;
}

/** A `--driver-opt` as buildx takes it: `key=value`, or a `QUS_USAGE` error naming it. */
export function validateDriverOpt(opt: string): string {
  if (!/^[^=\s,"]+=/.test(opt) || /[\n\r\0]/.test(opt)) {
    throw new QusError("QUS_USAGE", `invalid --driver-opt ${JSON.stringify(opt)}: expected key=value`, {
      hint: "for example --driver-opt image=moby/buildkit:buildx-stable-1 or --driver-opt network=host",
    });
  }
  return opt;
}

/** Checks what needs no process: the driver, the builder name and the driver options. */
function checkInput(driver: string, options: BootstrapOptions): void {
  if (driver !== "docker" && driver !== "docker-container") {
    throw new QusError("QUS_USAGE", `unknown buildx driver ${JSON.stringify(driver)}`, {
      hint: "use docker or docker-container",
    });
  }
  if (options.builder !== undefined) validateBuilderName(options.builder);
  const opts = options.driverOpts ?? [];
  if (driver === "docker" && opts.length > 0) {
    throw new QusError(
      "QUS_USAGE",
      `--driver-opt ${JSON.stringify(opts[0])}: the docker driver takes no driver options`,
      {
        hint: "use --driver docker-container for a builder with driver options",
      },
    );
  }
  for (const opt of opts) validateDriverOpt(opt);
  for (const [key, value] of Object.entries(options.timeouts ?? {})) {
    if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
      throw new QusError("QUS_USAGE", `timeout ${key} must be a positive number of milliseconds, not ${value}`);
    }
  }
}

function builderName(driver: string, context: string, options: BootstrapOptions): string {
  if (driver === "docker") {
    // The docker driver has exactly one builder per context, named after it.
    if (options.builder && options.builder.toLowerCase() !== context.toLowerCase()) {
      throw new QusError(
        "QUS_USAGE",
        `the docker driver's builder is the context's own (${context}), not ${options.builder}`,
        { hint: "leave out --name, or use --driver docker-container for a named builder" },
      );
    }
    return context;
  }
  return options.builder ?? "qus";
}

/** The builder as `buildx inspect NAME` shows it (read-only, starts nothing), or undefined when there is none. */
async function findBuilder(cli: BuildxCli, name: string, timeouts: BuildxTimeouts): Promise<BuilderInfo | undefined> {
  const result = await cli.run(["inspect", name], { timeoutMs: timeouts.inspect });
  if (result.exitCode === 0) return parseInspect(result.stdout);
  if (isNoBuilder(result)) return undefined;
  throw new QusError("QUS_EXEC_FAILED", `could not look up builder ${name}: ${tail(result)}`, {
    hint: `see what buildx says: ${cli.display(["inspect", name])}`,
  });
}

async function ensureBinfmt(
  options: BootstrapOptions,
  requested: readonly { target: Target }[],
  exec: Exec,
  timedOut: readonly string[],
): Promise<Report> {
  try {
    return await ensure({
      platforms: [...new Set(requested.map((item) => canonicalPlatform(item.target)))],
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
  } catch (error) {
    if (timedOut.length === 0) throw error;
    // A command killed at its timeout is the cause: say so, keeping a more precise code when core gave one.
    const code: QusErrorCode =
      isQusError(error) && error.code !== "QUS_EXEC_FAILED" && error.kind !== "operation" ? error.code : "QUS_TIMEOUT";
    const message = isQusError(error) || error instanceof Error ? error.message : String(error);
    throw new QusError(code, `${message} (${timedOut.join("; ")})`, {
      hint: isQusError(error) ? error.hint : undefined,
      cause: error,
    });
  }
}

/**
 * The nodes of a builder on other engines than the one qus was pointed at, one per engine: buildx names an engine by
 * its context or its address (the default context's node says unix:///var/run/docker.sock), so the engines' IDs
 * decide. A node whose engine does not answer is kept, so its failure is reported; one on the same engine is not.
 */
export async function otherNodeEngines(
  nodes: readonly BuilderNode[],
  engine: EngineAnswer,
  exec: Exec,
  timeoutMs: number,
): Promise<{ node: string; endpoint: string }[]> {
  // Without the engine's own ID, two names cannot be told apart: the same engine is assumed, as before.
  if (engine.id === undefined) return [];
  const endpoints: { node: string; endpoint: string }[] = [];
  for (const node of nodes) {
    const endpoint = node.endpoint;
    if (endpoint && endpoint !== engine.context && !endpoints.some((seen) => seen.endpoint === endpoint)) {
      endpoints.push({ node: node.name, endpoint });
    }
  }
  const ids = await Promise.all(endpoints.map(({ endpoint }) => engineIdAt(exec, endpoint, timeoutMs)));
  const seen = new Set([engine.id]);
  return endpoints.filter((_, i) => {
    const id = ids[i];
    if (id === undefined) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Ensures binfmt on each other node's engine at once; one engine's failure is its own node's, not the run's. */
async function ensureNodeEngines(
  options: BootstrapOptions,
  endpoints: readonly { node: string; endpoint: string }[],
  requested: readonly { target: Target }[],
  exec: Exec,
): Promise<NodeBinfmt[]> {
  const platforms = [...new Set(requested.map((item) => canonicalPlatform(item.target)))];
  return Promise.all(
    endpoints.map(async ({ node, endpoint }): Promise<NodeBinfmt> => {
      try {
        if (!options.nodeBinfmtDriver && endpoint.includes("://") && !ENGINE_ADDRESS.test(endpoint)) {
          throw new QusError("QUS_USAGE", `node ${node}'s endpoint ${endpoint} is not a docker engine qus can reach`, {
            hint: "binfmt on that node's kernel is proven by the builds only; ensure it there with qus ensure",
          });
        }
        const runner = createDockerCliRunner(
          endpoint.includes("://") ? { host: endpoint, exec } : { context: endpoint, exec },
        );
        const driver =
          options.nodeBinfmtDriver?.(endpoint) ??
          createContainerDriver({ runner, image: options.image, privileged: options.privileged });
        const report = await ensure({ platforms, replace: options.replace, dryRun: options.dryRun, driver });
        return { node, endpoint, report };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return isQusError(error)
          ? { node, endpoint, error: { code: error.code, message, ...(error.hint ? { hint: error.hint } : {}) } }
          : { node, endpoint, error: { code: "QUS_EXEC_FAILED", message } };
      }
    }),
  );
}

/**
 * An exec that keeps the engine's answer to `docker [--context C] info --format '{{json .}}'` (the engine check's)
 * and gives it again to the same command later in the run (core's container runner asks it before the binfmt
 * helper runs): the engine is asked once. Only a successful answer is kept.
 */
export function shareEngineAnswer(exec: Exec): { exec: Exec } {
  const answers = new Map<string, ExecResult>();
  const isInfo = (args: readonly string[]) => {
    const global = args.length === INFO_ARGS.length + 2 && args[0] === "--context" ? 2 : 0;
    return args.length === INFO_ARGS.length + global && INFO_ARGS.every((arg, i) => args[global + i] === arg);
  };
  return {
    exec: async (file, args, execOptions) => {
      const key = JSON.stringify([file, ...args]);
      const kept = isInfo(args) ? answers.get(key) : undefined;
      if (kept) return kept;
      const result = await exec(file, args, execOptions);
      if (isInfo(args) && result.exitCode === 0 && !result.timedOut && !result.startError) answers.set(key, result);
      return result;
    },
  };
}

/** An exec that notes each command killed at its timeout, quoted, for the error or warning that follows. */
function watchTimeouts(exec: Exec, timedOut: string[]): Exec {
  return async (file, args, execOptions) => {
    const result = await exec(file, args, execOptions);
    if (result.timedOut) {
      const limit = execOptions?.timeoutMs === undefined ? "its timeout" : seconds(execOptions.timeoutMs);
      timedOut.push(`${formatCommand([file, ...args])} did not finish within ${limit} and was killed`);
    }
    return result;
  };
}

async function prepareBuilder(
  cli: BuildxCli,
  name: string,
  driver: string,
  options: BootstrapOptions,
  exists: boolean,
  binfmtChanged: boolean,
  timeouts: BuildxTimeouts,
): Promise<{ created?: Created; refreshed: boolean; warnings: string[] }> {
  if (driver === "docker") return { refreshed: false, warnings: [] };
  const warnings: string[] = [];
  if (!exists) {
    // Its one node gets a name of this run's own: the removal after a failure checks it, so a builder of the same
    // name made in the meantime by someone else (another qus run, the user) is never removed.
    const node = `${name}-qus-${randomBytes(4).toString("hex")}`;
    const args = createArgs(name, driver, options.driverOpts ?? [], false, node);
    // Twice at most: another process's builder of this name may come and go between our look-up and our create.
    for (let attempt = 1; ; attempt++) {
      let result: ExecResult;
      try {
        result = await cli.run(args, { timeoutMs: timeouts.create });
      } catch (error) {
        // Killed at its timeout, the create may or may not have been saved: if it was (the builder has our node),
        // it is ours to remove.
        const removal = await removeCreated(cli, { name, node }, timeouts);
        if (removal.outcome === "removed" || removal.outcome === "failed")
          throw withRemoval(error, removal, { name, node }, cli);
        throw error;
      }
      if (result.exitCode === 0) return { created: { name, node }, refreshed: false, warnings };
      // Another process may have created it between our look-up and our create (buildx then says "existing
      // instance", or with --node "did you mean to append?"): use it, it is not ours to remove.
      const now = await cli.run(["inspect", name], { timeoutMs: timeouts.inspect });
      if (now.exitCode === 0) {
        if (isOwn(now.stdout, { name, node })) return { created: { name, node }, refreshed: false, warnings };
        warnings.push(`builder ${name} was created by another process meanwhile: used as it is`);
        return { refreshed: false, warnings };
      }
      // It is gone again (that process removed it): create it once more, else say what buildx said.
      if (attempt >= 2 || !CREATE_RACE.test(`${result.stderr}\n${result.stdout}`)) {
        throw createFailure(cli, name, args, result);
      }
    }
  }
  if ((options.driverOpts ?? []).length > 0) {
    warnings.push(
      `builder ${name} exists: --driver-opt not applied (they apply to a builder qus creates; to recreate it, run ${cli.display(["rm", name])} first)`,
    );
  }
  if (binfmtChanged || options.replace) {
    // It booted before binfmt was fixed: its platform detection and emulator choice are stale. A restart, never a
    // removal: the builder and its settings are the user's.
    await refreshNodes(cli, name, timeouts);
    return { refreshed: true, warnings };
  }
  return { refreshed: false, warnings };
}

function createFailure(cli: BuildxCli, name: string, args: readonly string[], result: ExecResult): QusError {
  const detail = lastError(result);
  // At create, buildx only parses and checks the driver options: a failure there is the options' (bad input).
  if (/invalid|parse error|failed to initialize builder|unknown/i.test(detail)) {
    return new QusError("QUS_USAGE", `buildx refused the driver options of builder ${name}: ${detail}`, {
      hint: `check the --driver-opt values (key=value, as buildx's docker-container driver takes them); the command was: ${cli.display(args)}`,
    });
  }
  return new QusError("QUS_EXEC_FAILED", `could not create builder ${name}: ${detail}`, {
    hint: `see what buildx says: ${cli.display(args)}`,
  });
}

async function refreshNodes(cli: BuildxCli, name: string, timeouts: BuildxTimeouts): Promise<void> {
  const args = ["stop", name];
  const result = await cli.run(args, { timeoutMs: timeouts.stop });
  if (result.exitCode === 0) return;
  if (isNoBuilder(result)) throw builderGone(name, "restarting it");
  throw new QusError("QUS_EXEC_FAILED", `could not restart builder ${name}: ${tail(result)}`, {
    hint: `see what buildx says: ${cli.display(args)}`,
  });
}

/** `buildx inspect --bootstrap`: starts the builder's nodes (pulling its image if needed) and reads them. */
async function bootstrapBuilder(cli: BuildxCli, name: string, timeouts: BuildxTimeouts): Promise<BuilderInfo> {
  const args = inspectArgs(name);
  const result = await cli.run(args, { timeoutMs: timeouts.bootstrap });
  if (result.exitCode !== 0) {
    if (isNoBuilder(result)) throw builderGone(name, "bootstrapping it");
    const detail = lastError(result);
    const output = `${result.stderr}\n${result.stdout}`;
    if (isPullFailure(output)) {
      const image = /pulling image (\S+)/i.exec(output)?.[1];
      throw new QusError(
        "QUS_IMAGE_MISSING",
        `could not bootstrap builder ${name}: its BuildKit image${image ? ` ${image}` : ""} cannot be pulled: ${detail}`,
        {
          hint: `the docker-container driver runs ${image ?? "moby/buildkit"} on the engine: load it there (docker load), or name one the engine has with --driver-opt image=REF`,
        },
      );
    }
    throw new QusError("QUS_EXEC_FAILED", `could not bootstrap builder ${name}: ${detail}`, {
      hint: `see what buildx says: ${cli.display(args)}`,
    });
  }
  return parseInspect(result.stdout);
}

/** A bootstrap that failed because the engine could not get the builder's image (no registry, no such image). */
export function isPullFailure(output: string): boolean {
  return (
    /pulling image/i.test(output) &&
    /pull access denied|manifest unknown|not found|no such host|dial tcp|i\/o timeout|connection refused|TLS handshake|unauthorized|Error response from daemon: Get /i.test(
      output,
    )
  );
}

function builderGone(name: string, doing: string): QusError {
  return new QusError("QUS_EXEC_FAILED", `builder ${name} was removed by another process while qus was ${doing}`, {
    hint: "run qus buildx again once nothing else removes the builder",
  });
}

async function mustSucceed(cli: BuildxCli, args: readonly string[], what: string, timeoutMs: number): Promise<void> {
  const result = await cli.run(args, { timeoutMs });
  if (result.exitCode === 0) return;
  throw new QusError("QUS_EXEC_FAILED", `${what}: ${tail(result)}`, {
    hint: `see what buildx says: ${cli.display(args)}`,
  });
}

/** What became of the builder this run created, after the run failed. */
type Removal =
  | { readonly outcome: "removed" }
  | { readonly outcome: "gone" }
  | { readonly outcome: "replaced" }
  | { readonly outcome: "failed"; readonly reason: string };

/**
 * Removes the builder this run created, if it still is the one this run created: its node carries this run's
 * name. One of the same name made meanwhile by someone else (they removed ours and made theirs) is left alone.
 */
async function removeCreated(cli: BuildxCli, created: Created, timeouts: BuildxTimeouts): Promise<Removal> {
  try {
    const seen = await cli.run(["inspect", created.name], { timeoutMs: timeouts.inspect });
    if (seen.exitCode !== 0) {
      return isNoBuilder(seen) ? { outcome: "gone" } : { outcome: "failed", reason: tail(seen) };
    }
    if (!isOwn(seen.stdout, created)) return { outcome: "replaced" };
    const rm = await cli.run(["rm", created.name], { timeoutMs: timeouts.stop });
    if (rm.exitCode === 0) return { outcome: "removed" };
    return isNoBuilder(rm) ? { outcome: "gone" } : { outcome: "failed", reason: tail(rm) };
  } catch (error) {
    return { outcome: "failed", reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Whether `buildx inspect` shows the builder this run created (its node has this run's node name). */
function isOwn(inspectOutput: string, created: Created): boolean {
  return parseInspect(inspectOutput).nodes.some((node) => node.name.toLowerCase() === created.node.toLowerCase());
}

/** The error that ended the run, saying what became of the builder this run created. */
function withRemoval(error: unknown, removal: Removal, created: Created, cli: BuildxCli): unknown {
  const builder = `builder ${created.name}, created by this run,`;
  const note =
    removal.outcome === "removed"
      ? `${builder} was removed again`
      : removal.outcome === "gone"
        ? `${builder} is gone already (removed by another process)`
        : removal.outcome === "replaced"
          ? `${builder} was replaced by another process's builder of that name, left in place`
          : `${builder} could not be removed: ${removal.reason}`;
  const removeHint = `remove it with: ${cli.display(["rm", created.name])}`;
  if (isQusError(error)) {
    const hint = removal.outcome === "failed" ? [error.hint, removeHint].filter(Boolean).join("; ") : error.hint;
    return new QusError(error.code, `${error.message}; ${note}`, { hint, cause: error });
  }
  return new QusError("QUS_EXEC_FAILED", `${error instanceof Error ? error.message : String(error)}; ${note}`, {
    hint: removal.outcome === "failed" ? removeHint : undefined,
    cause: error,
  });
}

/** On SIGINT/SIGTERM (qus's processes already killed): removes the builder this run created, synchronously. */
function removeOnInterrupt(cli: BuildxCli, created: Created, timeouts: BuildxTimeouts): void {
  const seen = cli.runSync(["inspect", created.name], { timeoutMs: Math.min(timeouts.inspect, 10_000) });
  if (seen.exitCode !== 0 || !isOwn(seen.stdout, created)) return;
  const rm = cli.runSync(["rm", created.name], { timeoutMs: Math.min(timeouts.stop, 20_000) });
  process.stderr.write(
    rm.exitCode === 0
      ? `qus: removed builder ${created.name}, which this run had created\n`
      : `qus: could not remove builder ${created.name}, which this run had created: ${cli.display(["rm", created.name])}\n`,
  );
}

function isListed(info: BuilderInfo, platform: string): boolean {
  return info.nodes.some((node) => node.platforms.includes(platform));
}

/** A platform's line of the report: its proof, and how it failed in core's words, from its binfmt entry. */
function toPlatformProof(
  item: { platform: string; target: Target; listed: boolean; native: boolean },
  proof: Proof | undefined,
  binfmt: Report,
): PlatformProof {
  const { platform, listed, native } = item;
  if (proof?.proven) return { platform, listed, native, proven: true };
  const code = proof?.code ?? "QUS_EXEC_FAILED";
  if (!proof?.failure)
    return { platform, listed, native, proven: false, detail: proof?.detail, reason: proof?.detail, code };
  const context = failureContext(item.target, proof.failure, proof.detail, binfmt);
  return {
    platform,
    listed,
    native,
    proven: false,
    failure: proof.failure,
    detail: proof.detail,
    reason: describeFailure(context),
    hint: failureHint(context),
    code,
  };
}

/** What core's words need: the kind, and the target's entry as binfmt reported it on the builder's kernel. */
function failureContext(
  target: Target,
  failure: ProbeFailureKind,
  detail: string | undefined,
  binfmt: Report,
): FailureContext {
  const reported = binfmt.platforms.find((p) => p.cpu === target.cpu);
  const hasEntry = reported && (reported.after === "enabled" || reported.after === "disabled") && reported.interpreter;
  return {
    failure,
    detail,
    chrooted: true,
    platform: canonicalPlatform(target),
    entry: hasEntry
      ? {
          name: entryName(target),
          interpreter: reported.interpreter ?? "",
          flags: reported.flags ?? "",
          enabled: reported.after === "enabled",
        }
      : undefined,
  };
}
