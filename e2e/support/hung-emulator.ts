import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEntryText, registerRaw, removeRaw } from "./kernel.js";

// A stand-in emulator that never finishes qus's probe. It hangs only for the probe (`/s390x` chrooted,
// `/tmp/qus-probe/s390x` run directly, `/qus-program` in a probe container, `qemu-s390x` in qus run's private
// tmpfs): anything else the kernel hands it
// while a test runs (BuildKit's own platform check runs `/check`) fails at once, so no other program on the
// machine is held. And it ends by itself after 300 s, should a kill ever miss it.
export const HUNG_EMULATOR_SOURCE = `#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  const char *file = argc > 1 ? argv[1] : "";
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  if (strcmp(base, "s390x") != 0 && strcmp(base, "qus-program") != 0 && strcmp(base, "qemu-s390x") != 0) return 1;
  sleep(300);
  return 0;
}
`;

// s390x's ELF header as QEMU's own entry matches it.
const S390X_MAGIC = "\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x16";
const S390X_MASK =
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff";

/** A hung emulator: the static program, and the binfmt_misc entries that claim s390x programs for it. */
export interface HungEmulator {
  readonly path: string;
  /** Registers it under `name` for s390x, with F (opened now, so it works inside containers and chroots). */
  register(name: string): void;
  /** Removes an entry registered through it, while it is still its own. */
  unregister(name: string): void;
  /** Removes the entries registered through it that are still its own, and the program. */
  dispose(): void;
}

/** Compiles the hung emulator (gcc -static) into a temporary folder. */
export function buildHungEmulator(): HungEmulator {
  const dir = mkdtempSync(join(tmpdir(), "qus-e2e-hang-"));
  const path = join(dir, "hang");
  writeFileSync(join(dir, "hang.c"), HUNG_EMULATOR_SOURCE);
  const built = spawnSync("gcc", ["-static", "-O2", "-o", path, join(dir, "hang.c")], { encoding: "utf8" });
  if (built.status !== 0) throw new Error(`gcc -static failed: ${built.stderr || String(built.error)}`);
  const registered = new Set<string>();
  const unregister = (name: string) => {
    // Only while the entry is still this one: the table may have been put back as it was since.
    if (readEntryText(name)?.includes(`interpreter ${path}\n`)) removeRaw(name);
    registered.delete(name);
  };
  return {
    path,
    register(name) {
      registerRaw(`:${name}:M::${S390X_MAGIC}:${S390X_MASK}:${path}:F`);
      registered.add(name);
    },
    unregister,
    dispose() {
      for (const name of [...registered]) unregister(name);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
