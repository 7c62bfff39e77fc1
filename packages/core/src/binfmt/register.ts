import { QusError } from "../errors.js";
import type { BinfmtEntry } from "./entry.js";
import { encodeEscaped } from "./escape.js";
import { KNOWN_FLAGS } from "./flags.js";
import type { MagicPattern } from "./match.js";

/** What qus asks the kernel to register: a type M entry. */
export interface Registration extends MagicPattern {
  readonly name: string;
  readonly interpreter: string;
  readonly flags: string;
}

/** The kernel's limits (fs/binfmt_misc.c). */
export const LIMITS = {
  /** Whole register string. */
  registerString: 1920,
  /** Interpreter path. */
  interpreter: 127,
  /** Offset + magic length must lie within the first 128 bytes of a file. */
  magicEnd: 128,
} as const;

const DELIMITER = ":";

/**
 * The registration that recreates a type M entry as the kernel shows it (flags the kernel prints but does not
 * take at registration are left out), or undefined for a type E entry.
 */
export function registrationOf(entry: BinfmtEntry): Registration | undefined {
  if (!entry.magic) return undefined;
  const flags = [...entry.flags].filter((letter) => KNOWN_FLAGS.includes(letter)).join("");
  return {
    name: entry.name,
    offset: entry.offset,
    magic: entry.magic,
    mask: entry.mask,
    interpreter: entry.interpreter,
    flags,
  };
}

/** Renders the string to write to `register`: `:name:M:offset:magic:mask:interpreter:flags`. */
export function renderRegister(registration: Registration): string {
  validateRegistration(registration);
  return renderUnchecked(registration);
}

function renderUnchecked(r: Registration): string {
  const mask = r.mask ? encodeEscaped(r.mask) : "";
  const offset = r.offset === 0 ? "" : String(r.offset);
  return ["", r.name, "M", offset, encodeEscaped(r.magic), mask, r.interpreter, r.flags].join(DELIMITER);
}

/** Checks a registration against the kernel's rules before anything is written; throws QUS_INVALID_REGISTRATION. */
export function validateRegistration(r: Registration): void {
  const fail = (problem: string, hint: string): never => {
    throw new QusError("QUS_INVALID_REGISTRATION", `binfmt_misc entry ${JSON.stringify(r.name)}: ${problem}`, { hint });
  };
  if (r.name === "" || r.name === "." || r.name === ".." || r.name === "register" || r.name === "status") {
    fail("the name is empty or reserved", "name the entry like qemu-<cpu>");
  }
  for (const [field, value] of [
    ["name", r.name],
    ["interpreter", r.interpreter],
    ["flags", r.flags],
  ] as const) {
    if (/[:\n\0]/.test(value)) fail(`the ${field} contains ':', a newline or NUL`, `remove them from the ${field}`);
  }
  if (r.name.includes("/")) fail("the name contains '/'", "name the entry like qemu-<cpu>");
  if (!r.interpreter.startsWith("/"))
    fail(
      `the interpreter ${JSON.stringify(r.interpreter)} is not an absolute path`,
      "give the interpreter's full path",
    );
  if (r.interpreter.length > LIMITS.interpreter) {
    fail(
      `the interpreter path is ${r.interpreter.length} characters, over the kernel's ${LIMITS.interpreter}`,
      "install or copy QEMU to a shorter path (see --qemu-path)",
    );
  }
  if ([...r.flags].some((letter) => !KNOWN_FLAGS.includes(letter)))
    fail(`unknown flags ${JSON.stringify(r.flags)}`, `use letters from ${KNOWN_FLAGS}`);
  if (r.magic.length === 0) fail("the magic is empty", "give at least one magic byte");
  if (!Number.isInteger(r.offset) || r.offset < 0)
    fail(`the offset ${r.offset} is not a whole number ≥ 0`, "use offset 0 for ELF headers");
  if (r.offset + r.magic.length > LIMITS.magicEnd) {
    fail(
      `the magic ends at byte ${r.offset + r.magic.length}, beyond the first ${LIMITS.magicEnd} bytes the kernel reads`,
      "shorten the magic or lower the offset",
    );
  }
  if (r.mask && r.mask.length !== r.magic.length) {
    fail(`the mask has ${r.mask.length} bytes and the magic ${r.magic.length}`, "give a mask as long as the magic");
  }
  const length = renderUnchecked(r).length;
  if (length > LIMITS.registerString) {
    fail(
      `the register string is ${length} characters, over the kernel's ${LIMITS.registerString}`,
      "shorten the magic or the interpreter path",
    );
  }
}
