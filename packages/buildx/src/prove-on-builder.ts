import { onInterrupt } from "@qus/core/toolkit";
import type { BootstrapReport, PlatformProof } from "./bootstrap-report.js";
import type { BootstrapRun } from "./bootstrap-run.js";
import { bootstrapBuilder, mustSucceed, refreshNodes } from "./builder-lifecycle.js";
import { type Created, removeCreated, removeOnInterrupt, withRemoval } from "./created-builder.js";
import type { EnsuredBinfmt } from "./ensure-binfmt.js";
import type { BuilderInfo } from "./inspect.js";
import { isListed, toPlatformProof } from "./platform-proof.js";
import { prepareBuilder } from "./prepare-builder.js";
import type { Proof } from "./prove.js";
import { proveMany } from "./prove-together.js";

/** The builder as the last proofs found it. */
interface Proved {
  readonly info: BuilderInfo;
  readonly proofs: readonly Proof[];
  /** Its nodes were restarted (before the proofs, or between two rounds of them). */
  readonly refreshed: boolean;
}

/**
 * The builder's half of a run, once binfmt is ensured: create or reuse the builder → bootstrap it → prove each
 * platform (restarting a docker-container builder whose list was stale) → make it current. A builder this run
 * created is removed again when this fails, and on an interrupt.
 */
export async function proveOnBuilder(
  run: BootstrapRun,
  ensured: EnsuredBinfmt,
  exists: boolean,
  early: Promise<BuilderInfo> | undefined,
): Promise<BootstrapReport> {
  const { cli, name, timeouts } = run;
  let created: Created | undefined;
  let forgetInterrupt = () => {};
  try {
    const prepared = await prepareBuilder(run, exists, ensured.binfmtChanged);
    created = prepared.created;
    if (created) {
      const own = created;
      forgetInterrupt = onInterrupt(() => removeOnInterrupt(cli, own, timeouts));
    }
    const warnings = [...ensured.warnings, ...prepared.warnings];
    const started = await startBuilder(run, early, ensured.binfmtChanged);
    const proved = await proveRequested(run, started, prepared.refreshed, warnings);
    const platforms = platformLines(run, proved, ensured);
    const ok = ensured.binfmt.ok && ensured.nodesOk && platforms.every((platform) => platform.proven);
    const used = await makeCurrent(run, ok, warnings);
    if (created && !ok) {
      warnings.push(
        `builder ${name} was created by this run and kept: it runs, but not every platform is proven (remove it with: ${cli.display(["rm", name])})`,
      );
    }
    forgetInterrupt();
    return {
      schemaVersion: 1,
      builder: name,
      driver: proved.info.driver || run.driver,
      ...(run.reason ? { reason: run.reason } : {}),
      created: created !== undefined,
      refreshed: proved.refreshed,
      used,
      nodes: proved.info.nodes,
      binfmt: ensured.binfmt,
      nodeBinfmt: ensured.nodeBinfmt,
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

/** The bootstrapped builder: the early bootstrap's, unless binfmt changed since it started (then bootstrapped again). */
async function startBuilder(
  run: BootstrapRun,
  early: Promise<BuilderInfo> | undefined,
  binfmtChanged: boolean,
): Promise<BuilderInfo> {
  if (early && !binfmtChanged) return early;
  await early?.catch(() => {});
  return bootstrapBuilder(run.cli, run.name, run.timeouts);
}

/** Proves every requested platform; a docker-container builder whose list is stale is restarted and proven again. */
async function proveRequested(
  run: BootstrapRun,
  started: BuilderInfo,
  refreshedBefore: boolean,
  warnings: string[],
): Promise<Proved> {
  const { cli, name, driver, requested, timeouts } = run;
  let info = started;
  let refreshed = refreshedBefore;
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
  return { info, proofs, refreshed };
}

/** Each requested platform's line of the report, in the order asked. */
function platformLines(run: BootstrapRun, proved: Proved, ensured: EnsuredBinfmt): PlatformProof[] {
  const { info, proofs } = proved;
  // A node that lists a platform as its own (starred) runs it natively: no emulation needed there.
  const nodeNative = new Set(info.nodes.flatMap((node) => node.preferred));
  return run.requested.map(({ platform, target }, i) =>
    toPlatformProof(
      {
        platform,
        target,
        listed: isListed(info, platform),
        native: ensured.native.has(target.cpu) || nodeNative.has(platform),
      },
      proofs[i],
      ensured.binfmt,
    ),
  );
}

/** `buildx use` when asked and every platform is proven; says why not when asked and not. */
async function makeCurrent(run: BootstrapRun, ok: boolean, warnings: string[]): Promise<boolean> {
  const { cli, name, use, timeouts } = run;
  if (use && ok) {
    await mustSucceed(cli, ["use", name], `could not make ${name} the current builder`, timeouts.use);
    return true;
  }
  if (use) warnings.push(`${name} not made the current builder: not every platform is proven`);
  return false;
}
