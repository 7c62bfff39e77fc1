import { release } from "node:os";
import { nativeCandidates } from "../../architectures.js";
import { type BinfmtEntry, claimantsOf } from "../../binfmt/entry.js";
import { targetPattern } from "../../plan.js";
import { buildProbe } from "../../probe/index.js";
import type { QemuCpu } from "../../targets.js";
import { decideNative } from "../native-policy.js";
import type { Inspection, InspectRequest, InterpreterFile, ProbeResult } from "../types.js";
import { currentUserNamespace } from "../user-namespace.js";
import { isBinfmtEnabled, isMounted, mountBinfmt, readEntries } from "./binfmt-fs.js";
import { matchesHost, readHostHeaders } from "./host.js";
import { classifyInterpreter } from "./interpreter-file.js";
import { findInterpreters } from "./interpreters.js";
import { type LocalContext, probeTargets } from "./local-context.js";
import { detectNative } from "./native.js";
import { qemuVersions } from "./qemu-versions.js";

/** Which of the requested targets run natively here, and which are claimed by some entry. */
interface NativeSort {
  readonly native: Map<QemuCpu, string>;
  readonly hostClaims: Map<QemuCpu, readonly string[]>;
  /** Emulated targets some entry claims: the ones to probe. */
  readonly claimed: QemuCpu[];
  /** Which entries claim each target's programs. */
  readonly claimantsByCpu: ReadonlyMap<QemuCpu, readonly BinfmtEntry[]>;
}

/** Reads this machine's binfmt_misc (mounting it when asked), what runs natively, interpreters, probes, versions. */
export async function inspectLocal(context: LocalContext, request: InspectRequest): Promise<Inspection> {
  const { exec, dir, isRoot } = context;
  const { binfmtMounted, mountedByQus, warnings } = await mountState(context, request);
  const entries = binfmtMounted ? readEntries(dir) : [];
  const binfmtEnabled = !binfmtMounted || isBinfmtEnabled(dir);
  const hostHeaders = readHostHeaders();
  const { native, hostClaims, claimed, claimantsByCpu } = await sortNative(context, request, entries, hostHeaders);

  const emulated = request.targets.map((target) => target.cpu).filter((cpu) => !native.has(cpu));
  const interpreters = findInterpreters(emulated, context.searchDirs);
  const [probes, versions] = await Promise.all([
    request.verify ? probeTargets(context, claimed) : Promise.resolve(new Map<QemuCpu, ProbeResult>()),
    // The claimants' own interpreters too: persist checks that a path still holds that cpu's emulator.
    qemuVersions(exec, [
      ...[...interpreters.values()].map((interpreter) => interpreter.path),
      ...claimed.flatMap((cpu) => (claimantsByCpu.get(cpu) ?? []).map((entry) => entry.interpreter)),
    ]),
  ]);
  if (request.verify && !isRoot && claimed.length > 0) {
    warnings.push(
      "not root: probes ran outside a chroot, so each entry's flags were judged instead (without F it fails in containers); run as root for the real check",
    );
  }
  for (const [, interpreter] of interpreters) {
    if (!interpreter.static) {
      warnings.push(
        `${interpreter.path} is dynamically linked: with the F flag it fails inside containers; install qemu-user-static`,
      );
    }
  }
  if (!binfmtEnabled) {
    warnings.push(`binfmt_misc is switched off as a whole (${dir}/status reads disabled): no entry is used`);
  }
  const userNamespace = currentUserNamespace();
  if (userNamespace) {
    warnings.push(
      `qus runs in a user namespace (${userNamespace}): the table shown may be private to it, and what runs here may not run on the host`,
    );
  }
  return {
    kernel: { release: release(), binfmtMounted, binfmtEnabled, mountedByQus, userNamespace },
    entries,
    native,
    hostClaims,
    interpreters,
    interpreterFiles: classifyInterpreters(entries, hostHeaders[0]),
    probes,
    qemuVersions: versions,
    warnings,
  };
}

/** Whether binfmt_misc is mounted, mounting it when the request asks; the warnings start with what was found. */
async function mountState(
  context: LocalContext,
  request: InspectRequest,
): Promise<{ binfmtMounted: boolean; mountedByQus: boolean; warnings: string[] }> {
  const { exec, dir } = context;
  const warnings: string[] = [];
  let binfmtMounted = isMounted(dir);
  let mountedByQus = false;
  if (!binfmtMounted && request.mount) {
    await mountBinfmt(exec, dir);
    binfmtMounted = mountedByQus = true;
    warnings.push(`mounted binfmt_misc at ${dir}`);
  } else if (!binfmtMounted) {
    warnings.push(`binfmt_misc is not mounted at ${dir}: nothing is registered`);
  }
  return { binfmtMounted, mountedByQus, warnings };
}

/** Sorts the requested targets: the host's own, compat modes that run natively (found by a run), claimed ones. */
async function sortNative(
  context: LocalContext,
  request: InspectRequest,
  entries: readonly BinfmtEntry[],
  hostHeaders: readonly Uint8Array[],
): Promise<NativeSort> {
  const { exec, host, isRoot } = context;
  const candidates = nativeCandidates(host);
  const native = new Map<QemuCpu, string>();
  const hostClaims = new Map<QemuCpu, readonly string[]>();
  const claimed: QemuCpu[] = [];
  const unclaimedCandidates: QemuCpu[] = [];
  const claimedCandidates: QemuCpu[] = [];
  // Which entries claim each target's programs: read once, used for every decision below.
  const claimantsByCpu = new Map(
    request.targets.map((target) => [target.cpu, claimantsOf(entries, buildProbe(target.cpu))] as const),
  );
  const claimantNames = (cpu: QemuCpu) => (claimantsByCpu.get(cpu) ?? []).map((entry) => entry.name);
  for (const target of request.targets) {
    const claimants = claimantNames(target.cpu);
    if (matchesHost(targetPattern(target), hostHeaders)) {
      native.set(target.cpu, "this machine's own architecture");
      if (claimants.length > 0) hostClaims.set(target.cpu, claimants);
    } else if (candidates.includes(target.cpu)) {
      (claimants.length > 0 ? claimedCandidates : unclaimedCandidates).push(target.cpu);
    } else if (claimants.length > 0) claimed.push(target.cpu);
  }
  const findings = await detectNative(unclaimedCandidates, claimedCandidates, { exec, host, root: isRoot });
  for (const [cpu, finding] of findings) {
    const claimants = claimantNames(cpu);
    const decision = decideNative(host, cpu, finding, claimants.length > 0);
    if (decision.native) native.set(cpu, decision.reason ?? "runs natively");
    else if (claimants.length > 0) claimed.push(cpu);
    if (decision.hostClaimed) hostClaims.set(cpu, claimants);
  }
  return { native, hostClaims, claimed, claimantsByCpu };
}

function classifyInterpreters(entries: readonly BinfmtEntry[], hostHeader: Uint8Array | undefined) {
  const files = new Map<string, InterpreterFile>();
  for (const entry of entries) {
    if (!entry.interpreter || files.has(entry.interpreter)) continue;
    const file = classifyInterpreter(entry.interpreter, hostHeader);
    if (file) files.set(entry.interpreter, file);
  }
  return files;
}
