import { type BinfmtEntry, parseEntry } from "../../binfmt/entry.js";
import { fromHex } from "../../binfmt/escape.js";

/** One kernel write the helper carried out. */
export interface HelperOp {
  readonly kind: "remove" | "enable" | "register";
  readonly name: string;
  readonly ok: boolean;
  readonly message: string;
}

/** How one probe ran in the helper: directly, and chrooted in the probe folder. */
export interface HelperProbe {
  readonly direct: number;
  readonly chroot: number;
  readonly message: string;
}

/** Everything one helper container run reported. */
export interface HelperReport {
  readonly mounted: boolean;
  /** Why mounting binfmt_misc failed (the helper then stops). */
  readonly mountError?: string;
  readonly kernel: string;
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

/** Reads the helper's line protocol (see helper-script.ts). Unknown lines are ignored. */
export function parseHelperOutput(stdout: string): HelperReport {
  let mounted = false;
  let mountError: string | undefined;
  let kernel = "";
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
    else if (word === "kernel") kernel = tail;
    else if (word === "host-header" && /^([0-9a-f]{2})+$/.test(tail)) hostHeader = fromHex(tail);
    else if (word === "op" && (rest[0] === "remove" || rest[0] === "enable" || rest[0] === "register")) {
      ops.push({ kind: rest[0], name: rest[1] ?? "", ok: rest[2] === "ok", message: rest.slice(3).join(" ").trim() });
    } else if (word === "entry" && tail) {
      currentEntry = [];
      entryTexts.set(tail, currentEntry);
    } else if (word === "interpreter" && rest[0] && rest[1]) interpreters.set(rest[0], rest[1]);
    else if (word === "version" && rest[0]) {
      const version = rest.slice(1).join(" ").trim();
      if (version) versions.set(rest[0], version);
    } else if (word === "probe" && rest[0]) {
      probes.set(rest[0], {
        direct: Number(rest[1]),
        chroot: Number(rest[2]),
        message: rest.slice(3).join(" ").trim(),
      });
    } else if (word === "done") complete = true;
  }
  const entries = [...entryTexts].map(([name, lines]) => parseEntry(name, lines.join("\n")));
  return { mounted, mountError, kernel, hostHeader, ops, entries, interpreters, versions, probes, complete };
}
