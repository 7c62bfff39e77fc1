import { type BinfmtEntry, claimantsOf } from "../binfmt/entry.js";
import { matchesHeader } from "../binfmt/match.js";
import type { Inspection, InterpreterFile, ProbeResult } from "../drivers/types.js";
import { targetPattern } from "../plan.js";
import { buildProbe } from "../probe/index.js";
import { describeFailure, failureHint } from "../report/probe-words.js";
import { formatCommand } from "../shell-quote.js";
import { canonicalPlatform, entryName, type QemuCpu, TARGETS, type Target } from "../targets.js";
import type { ElfInfo } from "./elf.js";
import type { ClaimingEntry, FileExplanation, Handler, Verdict } from "./model.js";

/** What the kernel that would run the file has: its table, its native cpus, and the probes run through it. */
export interface KernelView {
  readonly entries: readonly BinfmtEntry[];
  readonly binfmtEnabled: boolean;
  readonly native: ReadonlyMap<QemuCpu, string>;
  readonly probes: ReadonlyMap<QemuCpu, ProbeResult>;
  readonly interpreterFiles?: ReadonlyMap<string, InterpreterFile>;
}

/** The part of a driver's inspection the judge reads. */
export function kernelViewOf(inspection: Inspection): KernelView {
  return {
    entries: inspection.entries,
    binfmtEnabled: inspection.kernel.binfmtEnabled !== false,
    native: inspection.native,
    probes: inspection.probes,
    interpreterFiles: inspection.interpreterFiles,
  };
}

/** What a loader path is in a root: there and of the program's machine, absent, or another machine's file. */
export type LoaderState = "present" | "missing" | "foreign";

/** A root the program would run in, where qus can look: this machine's, or an image's. */
export interface RootView {
  /** The loader a dynamic program asks for, as it is in this root. */
  loader(path: string, program: ElfInfo): LoaderState;
  /** Whether a path exists in this root (an entry's interpreter, for entries without F). */
  exists(path: string): boolean;
}

/** Where the file is judged: this machine (here, chroot, container) or a container of an image. */
export type Place = { readonly kind: "host"; readonly root: RootView } | ImagePlace;

/** A container of an image, on the engine's kernel. */
export interface ImagePlace {
  readonly kind: "image";
  readonly ref: string;
  readonly root: RootView;
}

/** The QEMU target whose magic and mask match a file's first bytes, as the kernel would match QEMU's entry. */
export function targetOfHeader(header: Uint8Array): Target | undefined {
  // Where several match (a general pattern and a narrower one, such as MIPS o32 and n32), the narrowest tells more.
  let best: { target: Target; bits: number } | undefined;
  for (const target of TARGETS) {
    const pattern = targetPattern(target);
    if (!matchesHeader(pattern, header)) continue;
    const bits = maskBits(pattern.mask ?? new Uint8Array(pattern.magic.length).fill(0xff));
    if (!best || bits > best.bits) best = { target, bits };
  }
  return best?.target;
}

function maskBits(mask: Uint8Array): number {
  let count = 0;
  for (const byte of mask) for (let bit = byte; bit > 0; bit >>= 1) count += bit & 1;
  return count;
}

/**
 * Explains one ELF file: which handler the kernel picks for it (binfmt_misc first, most recently registered
 * enabled entry winning, then the kernel's own loader), whether that handler works (its probe), and whether the
 * program's loader is where it runs. `header` is the file's first 256 bytes, all the kernel matches against.
 */
export function judgeFile(
  path: string,
  elf: ElfInfo,
  header: Uint8Array,
  kernel: KernelView,
  place: Place,
): FileExplanation {
  const target = targetOfHeader(header);
  const platform = target ? platformOf(target, elf) : undefined;
  const claimants = kernel.binfmtEnabled ? claimantsOf(kernel.entries, header) : [];
  const native = target ? kernel.native.get(target.cpu) : undefined;
  const entry = target
    ? (claimants.find((candidate) => candidate.name === entryName(target)) ?? claimants[0])
    : claimants[0];
  const probe = target && entry ? probeFor(target, claimants, kernel) : undefined;
  const context = failureContext({ platform, kernel, entry });
  const handler: Handler = {
    kind: claimants.length > 0 ? "binfmt" : native ? "native" : "none",
    entries: claimants.map(claiming),
    native: claimants.length === 0 ? native : undefined,
    probe: probe && {
      ok: probe.ok,
      failure: probe.failure,
      chrooted: probe.chrooted,
      reason: probe.ok
        ? undefined
        : describeFailure({ ...context, failure: probe.failure ?? "exit-status", detail: probe.detail }),
    },
  };
  const facts: Facts = { elf, platform, target, kernel, entry, probe, handler };
  if (place.kind === "host") {
    const here = combine(start(facts, "here"), loaderHere(facts, place.root));
    const root = combine(start(facts, "root"), loaderInRoot(facts));
    return {
      path,
      elf,
      platform,
      cpu: target?.cpu,
      handler,
      here,
      chroot: root,
      container: root,
      ok: here.runs === "yes",
    };
  }
  const container = onEngine(combine(start(facts, "root", place), loaderInImage(facts, place)));
  return { path, elf, platform, cpu: target?.cpu, handler, container, ok: container.runs === "yes" };
}

interface Facts {
  readonly elf: ElfInfo;
  readonly platform: string | undefined;
  readonly target: Target | undefined;
  readonly kernel: KernelView;
  readonly entry: BinfmtEntry | undefined;
  readonly probe: ProbeResult | undefined;
  readonly handler: Handler;
}

const YES: Verdict = { runs: "yes" };

function claiming(entry: BinfmtEntry): ClaimingEntry {
  return { name: entry.name, interpreter: entry.interpreter, flags: entry.flags };
}

/** The probe of the target, when the same entries claim it as claim the file (so it met the same handler). */
function probeFor(target: Target, claimants: readonly BinfmtEntry[], kernel: KernelView): ProbeResult | undefined {
  let probeClaimants: BinfmtEntry[];
  try {
    probeClaimants = claimantsOf(kernel.entries, buildProbe(target.cpu));
  } catch {
    return undefined;
  }
  const names = (entries: readonly BinfmtEntry[]) => entries.map((entry) => entry.name).join("\n");
  return names(probeClaimants) === names(claimants) ? kernel.probes.get(target.cpu) : undefined;
}

function failureContext(facts: Pick<Facts, "entry" | "platform" | "kernel">) {
  const { entry, platform, kernel } = facts;
  return {
    platform,
    entry: entry && { name: entry.name, interpreter: entry.interpreter, flags: entry.flags, enabled: entry.enabled },
    interpreterFile: entry ? kernel.interpreterFiles?.get(entry.interpreter) : undefined,
  };
}

function ensureCommand(platform: string, replace: boolean): string {
  return formatCommand(["qus", "ensure", ...(replace ? ["--replace"] : []), "--platforms", platform]);
}

/**
 * The target's platform that fits the program: the canonical one, except that a soft-float ARM program is named by
 * the oldest variant the target serves (Debian's armel is `linux/arm/v5`), where it serves several.
 */
function platformOf(target: Target, elf: ElfInfo): string {
  if (elf.abi.includes("soft-float") && elf.machineName === "ARM") {
    const oldest = target.platforms.filter((platform) => /\/v\d+$/.test(platform)).sort()[0];
    if (oldest) return oldest;
  }
  return canonicalPlatform(target);
}

/** Whether the kernel starts the program at all, in a place: here (its interpreters' paths resolve) or a root. */
function start(facts: Facts, where: "here" | "root", image?: ImagePlace): Verdict {
  const { elf, platform, target, kernel, entry, probe, handler } = facts;
  if (!elf.program) {
    return {
      runs: "no",
      reason: `exec format error: a ${elf.type} ELF file is not a program`,
      fix: "explain the program built from it instead",
    };
  }
  if (handler.kind === "native") return YES;
  if (handler.kind === "none" || !entry) {
    if (!kernel.binfmtEnabled) {
      return {
        runs: "no",
        reason: `exec format error: binfmt_misc is switched off as a whole, and the kernel does not run ${elf.machineName} programs itself`,
        fix: "switch it on as root: echo 1 > /proc/sys/fs/binfmt_misc/status",
      };
    }
    if (!target || !platform) {
      return {
        runs: "no",
        reason: `exec format error: no binfmt_misc entry claims ${describeMachine(elf)} programs, and qus knows no QEMU target for them`,
        fix: "run it on a machine of its own architecture",
      };
    }
    return {
      runs: "no",
      reason: `exec format error: no binfmt_misc entry claims ${platform} programs, and the kernel does not run them itself`,
      fix: ensureCommand(platform, false),
    };
  }
  const hasF = entry.flags.includes("F");
  const interpreterFile = kernel.interpreterFiles?.get(entry.interpreter);
  const fixEntry = platform ? ensureCommand(platform, true) : `re-register ${entry.name} with the F flag`;
  const failed = (): Verdict => ({
    runs: "no",
    reason: describeFailure({
      ...failureContext(facts),
      failure: probe?.failure ?? "exit-status",
      chrooted: probe?.chrooted,
      detail: probe?.detail,
    }),
    fix: probe?.failure ? failureHint({ ...failureContext(facts), failure: probe.failure }) : fixEntry,
  });
  if (where === "here") {
    if (probe?.ok) return YES;
    const reachable = interpreterFile === "static" || interpreterFile === "dynamic";
    // Outside a chroot the interpreter's path resolves, with F or without.
    if (probe?.failure === "interpreter-unreachable" && reachable) return YES;
    if (probe) return failed();
    return byInterpreterFile(entry, interpreterFile, fixEntry);
  }
  if (!hasF) {
    if (image?.root.exists(entry.interpreter)) return YES;
    return {
      runs: "no",
      reason: `no such file or directory: ${entry.name} has no F flag, so the kernel looks for its interpreter ${entry.interpreter} inside the ${image ? `container of ${image.ref}` : "chroot or container"}`,
      fix: fixEntry,
    };
  }
  if (probe?.ok) return YES;
  if (probe) return failed();
  if (interpreterFile === "dynamic") {
    return {
      runs: "no",
      reason: describeFailure({ ...failureContext(facts), failure: "interpreter-unreachable", chrooted: true }),
      fix: failureHint({ ...failureContext(facts), failure: "interpreter-unreachable" }),
    };
  }
  return byInterpreterFile(entry, interpreterFile, fixEntry);
}

/** Without a probe: the entry's interpreter file tells. */
function byInterpreterFile(entry: BinfmtEntry, file: InterpreterFile | undefined, fix: string): Verdict {
  if (file === "missing") {
    return {
      runs: "no",
      reason: `no such file or directory: the interpreter ${entry.interpreter} of ${entry.name} does not exist`,
      fix,
    };
  }
  if (file === "script" || file === "foreign") {
    return {
      runs: "no",
      reason: `exec format error: the interpreter ${entry.interpreter} of ${entry.name} is ${file === "script" ? "a script" : "not a program this machine can run"}`,
      fix,
    };
  }
  return YES;
}

function describeMachine(elf: ElfInfo): string {
  return `${elf.machineName} (${elf.bits}-bit ${elf.endianness}-endian)`;
}

function librariesHint(facts: Facts, where: string): string {
  const platform = facts.platform ?? "its platform";
  const arch = facts.target?.debianArch;
  const debian = arch
    ? `, or install them here (Debian: dpkg --add-architecture ${arch} && apt-get update && apt-get install libc6:${arch})`
    : "";
  return `this needs its libraries ${where}: run it in a ${platform} image that has them${debian}`;
}

function loaderHere(facts: Facts, root: RootView): Verdict {
  const loader = facts.elf.interpreter;
  if (loader === undefined) return YES;
  const state = root.loader(loader, facts.elf);
  if (state === "present") return YES;
  return {
    runs: "no",
    reason:
      state === "missing"
        ? `no such file or directory: its loader ${loader} is not on this machine`
        : `its loader ${loader} on this machine is not a ${describeMachine(facts.elf)} program`,
    fix: librariesHint(facts, "on this machine"),
  };
}

function loaderInRoot(facts: Facts): Verdict {
  const loader = facts.elf.interpreter;
  if (loader === undefined) return YES;
  return {
    runs: "depends",
    reason: `only where the root holds its loader ${loader} and its libraries (an image of ${facts.platform ?? "its platform"} with them)`,
  };
}

function loaderInImage(facts: Facts, place: ImagePlace): Verdict {
  const loader = facts.elf.interpreter;
  if (loader === undefined) return YES;
  const state = place.root.loader(loader, facts.elf);
  if (state === "present") return YES;
  return {
    runs: "no",
    reason:
      state === "missing"
        ? `no such file or directory: its loader ${loader} is not in the image ${place.ref}`
        : `its loader ${loader} in the image ${place.ref} is not a ${describeMachine(facts.elf)} program`,
    fix: `this needs its libraries in the image: build it FROM a ${facts.platform ?? "matching"} base that has them (its loader ${loader}), or link the program statically`,
  };
}

/** An image runs on the engine's kernel: the fix's `qus ensure` goes there. */
function onEngine(verdict: Verdict): Verdict {
  return verdict.fix
    ? { ...verdict, fix: verdict.fix.replace(/\bqus ensure\b/g, "qus ensure --driver docker") }
    : verdict;
}

/** The first place's failure wins: a program the kernel cannot start never reaches its loader. */
function combine(start: Verdict, loader: Verdict): Verdict {
  return start.runs !== "yes" ? start : loader;
}
