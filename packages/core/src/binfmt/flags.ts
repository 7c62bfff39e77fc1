import { quoteInput } from "../display.js";
import { QusError } from "../errors.js";

/** Flag letters binfmt_misc accepts: P preserve argv[0], O open binary, C credentials (implies O), F fix binary. */
export const KNOWN_FLAGS = "POCF";

/** Flags qus registers by default: F so it works in containers and chroots, C so setuid (sudo) works in them. */
export const DEFAULT_FLAGS = "FC";

/** Validates user-given flags (`FC`, `fcp`) and returns them upper-cased in the kernel's order. */
export function parseFlags(input: string): string {
  const letters = input.trim().toUpperCase();
  const unknown = [...letters].filter((letter) => !KNOWN_FLAGS.includes(letter));
  if (unknown.length > 0) {
    throw new QusError(
      "QUS_INVALID_FLAGS",
      `unknown binfmt_misc flag ${quoteInput(unknown.join(""))} in --flags ${quoteInput(input)}`,
      {
        hint: `use letters from ${KNOWN_FLAGS}: P preserve argv[0], O open binary, C credentials, F fix binary (default ${DEFAULT_FLAGS})`,
      },
    );
  }
  return [...KNOWN_FLAGS].filter((letter) => letters.includes(letter)).join("");
}

/** The known flags in effect: C implies O, as the kernel applies it. Unknown letters are left out. */
export function effectiveFlags(flags: string): string {
  const letters = new Set(flags.toUpperCase());
  if (letters.has("C")) letters.add("O");
  return [...KNOWN_FLAGS].filter((letter) => letters.has(letter)).join("");
}

/** Whether two flag strings have the same effect in the kernel. */
export function sameFlags(a: string, b: string): boolean {
  return effectiveFlags(a) === effectiveFlags(b);
}
