import type { ProbeFailureKind } from "../drivers/types.js";
import type { ElfInfo } from "./elf.js";

/** Whether a program runs in one place: yes, no, or only when its root holds what it names. */
export type RunsAnswer = "yes" | "no" | "depends";

/** Whether a program runs in one place, why not, and what fixes it. */
export interface Verdict {
  readonly runs: RunsAnswer;
  /** Why not (`exec format error: ...`, `no such file or directory: ...`), or what it depends on. */
  readonly reason?: string;
  /** The command or step that makes it run. */
  readonly fix?: string;
}

/** A binfmt_misc entry that claims the file, as the kernel matches it (offset, magic, mask). */
export interface ClaimingEntry {
  readonly name: string;
  readonly interpreter: string;
  readonly flags: string;
}

/** How the kernel starts the file: itself (native), through a binfmt_misc entry, or not at all. */
export interface Handler {
  readonly kind: "native" | "binfmt" | "none";
  /** Enabled entries that claim the file; with more than one, the one registered last wins. */
  readonly entries: readonly ClaimingEntry[];
  /** Why the kernel runs it natively (`this machine's own architecture`). */
  readonly native?: string;
  /** The probe of the file's architecture, run through the same entries, if it ran. */
  readonly probe?: {
    readonly ok: boolean;
    readonly failure?: ProbeFailureKind;
    readonly chrooted?: boolean;
    readonly reason?: string;
  };
}

/** One file explained: what it is, what claims it, and whether it runs here, in a chroot, in a container. */
export interface FileExplanation {
  readonly path: string;
  readonly elf: ElfInfo;
  /** OCI platform of the QEMU target whose magic and mask match the file (`linux/arm64`). */
  readonly platform?: string;
  /** QEMU cpu of that target. */
  readonly cpu?: string;
  readonly handler: Handler;
  /** Run here: directly on the machine whose kernel was inspected (absent for an image). */
  readonly here?: Verdict;
  /** Run in a chroot on that kernel (absent for an image). */
  readonly chroot?: Verdict;
  /** Run in a container on that kernel (for an image: in a container of that image). */
  readonly container: Verdict;
  /** It runs where asked: here for a file, in the container for an image. */
  readonly ok: boolean;
}

/** A file that could not be explained: missing, a folder, not ELF, truncated. */
export interface FileProblem {
  readonly path: string;
  readonly error: { readonly code: string; readonly message: string; readonly hint?: string };
}

/** What `qus explain` found for every file. */
export interface Explanation {
  readonly schemaVersion: 1;
  /** `local` (this machine's kernel) or the engine's driver name for an image. */
  readonly driver: string;
  readonly kernel: { readonly release?: string; readonly binfmtEnabled: boolean; readonly binfmtMounted: boolean };
  /** The image explained, with --image. */
  readonly image?: ImageFacts;
  readonly files: readonly (FileExplanation | FileProblem)[];
  readonly warnings: readonly string[];
  /** Every file was read and runs where asked. */
  readonly ok: boolean;
}

/** What qus read of an image, without running it. */
export interface ImageFacts {
  readonly ref: string;
  readonly id: string;
  /** The image's platform as the engine records it (`linux/arm64/v8`). */
  readonly platform: string;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  /** The engine's own cpu (`x86_64`). */
  readonly engineArchitecture?: string;
}

/** Whether an item of {@link Explanation.files} is a problem. */
export function isFileProblem(item: FileExplanation | FileProblem): item is FileProblem {
  return "error" in item;
}
