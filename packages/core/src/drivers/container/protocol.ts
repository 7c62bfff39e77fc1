import { type BinfmtEntry, parseEntry } from "../../binfmt/entry.js";
import { fromHex } from "../../binfmt/escape.js";

/** One kernel write the helper carried out. */
export interface HelperOp {
  readonly kind: "remove" | "enable" | "register";
  readonly name: string;
  readonly ok: boolean;
  readonly message: string;
}

/** How a program run in the helper ended: its exit status, or `timeout` when it was killed at its bound. */
export type HelperStatus = number | "timeout";

/**
 * How one probe ran in the helper: chrooted in the probe folder, as builds run it (the chroot's stand-in /bin/sh
 * tells "exec format error" apart from everything else, which is all native detection needs).
 */
export interface HelperProbe {
  readonly chroot: HelperStatus;
  readonly message: string;
}

/** Everything one helper container run reported. */
export interface HelperReport {
  readonly mounted: boolean;
  /** Why mounting binfmt_misc failed (the helper then stops). */
  readonly mountError?: string;
  /** Why the helper could not start its work at all (a busybox without `timeout`); it then stops. */
  readonly fatal?: string;
  readonly kernel: string;
  /** The helper's `/proc/self/uid_map`, one line per range (empty when it printed none). */
  readonly uidMap: string;
  /** First bytes of the helper image's own busybox: a program of the engine's own architecture. */
  readonly hostHeader?: Uint8Array;
  readonly ops: readonly HelperOp[];
  readonly entries: readonly BinfmtEntry[];
  readonly interpreters: ReadonlyMap<string, string>;
  readonly versions: ReadonlyMap<string, string>;
  readonly probes: ReadonlyMap<string, HelperProbe>;
  /** The helper reached its end. */
  readonly complete: boolean;
}

function status(word: string | undefined): HelperStatus | undefined {
  if (word === "timeout") return word;
  return word !== undefined && /^\d{1,3}$/.test(word) ? Number(word) : undefined;
}

/** Reads the helper's line protocol (see helper-script.ts). Unknown and malformed lines are ignored. */
export function parseHelperOutput(stdout: string): HelperReport {
  let mounted = false;
  let mountError: string | undefined;
  let fatal: string | undefined;
  let kernel = "";
  const uidMap: string[] = [];
  let hostHeader: Uint8Array | undefined;
  let complete = false;
  const ops: HelperOp[] = [];
  const entryTexts = new Map<string, string[]>();
  const interpreters = new Map<string, string>();
  const versions = new Map<string, string>();
  const probes = new Map<string, HelperProbe>();
  let currentEntry: string[] | undefined;

  for (const line of stdout.split("\n")) {
    if (line.startsWith("| ") && currentEntry) {
      currentEntry.push(line.slice(2));
      continue;
    }
    currentEntry = undefined;
    const [word = "", ...rest] = line.split(" ");
    const tail = rest.join(" ").trim();
    if (word === "mounted") mounted = true;
    else if (word === "mount-failed") mountError = tail || "no error message";
    else if (word === "fatal") fatal = tail || "no error message";
    else if (word === "kernel") kernel = tail;
    else if (word === "uidmap") uidMap.push(tail);
    else if (word === "host-header") {
      // Hex digits, in pairs (od's, separated by spaces).
      const hex = tail.replace(/\s+/g, "");
      if (/^([0-9a-f]{2})+$/.test(hex)) hostHeader = fromHex(hex);
    } else if (word === "op" && (rest[0] === "remove" || rest[0] === "enable" || rest[0] === "register")) {
      ops.push({ kind: rest[0], name: rest[1] ?? "", ok: rest[2] === "ok", message: rest.slice(3).join(" ").trim() });
    } else if (word === "entry" && tail) {
      currentEntry = [];
      entryTexts.set(tail, currentEntry);
    } else if (word === "interpreter" && rest[0] && rest[1]) interpreters.set(rest[0], rest[1]);
    else if (word === "version" && rest[0]) {
      const version = rest.slice(1).join(" ").trim();
      if (version) versions.set(rest[0], version);
    } else if (word === "probe" && rest[0]) {
      const chroot = status(rest[1]);
      if (chroot !== undefined) probes.set(rest[0], { chroot, message: rest.slice(2).join(" ").trim() });
    } else if (word === "done") complete = true;
  }
  const entries = [...entryTexts].map(([name, lines]) => parseEntry(name, lines.join("\n")));
  return {
    mounted,
    mountError,
    fatal,
    kernel,
    uidMap: uidMap.join("\n"),
    hostHeader,
    ops,
    entries,
    interpreters,
    versions,
    probes,
    complete,
  };
}
