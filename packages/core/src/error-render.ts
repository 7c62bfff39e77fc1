import {
  EXIT_CODES,
  errorKind,
  exitCodeOf,
  isQusError,
  isQusErrorCode,
  QusError,
  type QusErrorCode,
  type QusErrorKind,
} from "./errors.js";

/** The code of an error that is no QusError: a bug in qus (or in what it called), shown with its stack. */
export const UNEXPECTED_ERROR_CODE = "QUS_UNEXPECTED";

/**
 * An error as qus shows it everywhere (the CLI's stderr and `--json`, an engine's section of a run over several,
 * a CI step's failure): one description, rendered as text or JSON by the functions below and nowhere else.
 */
export interface ErrorDescription {
  /** A stable {@link QusErrorCode}, or {@link UNEXPECTED_ERROR_CODE}. */
  readonly code: string;
  readonly kind: QusErrorKind;
  readonly message: string;
  readonly hint?: string;
  /** The exit code qus ends with for it: its code's, unless the command keeps its own (`qus vm run`'s 125). */
  readonly exitCode: number;
  /** An unexpected error's stack: a bug report needs it in the text; a script reading JSON does not. */
  readonly stack?: string;
}

/** The stable fields of an error that ended a command, as `--json` prints them under `error`. */
export interface ErrorJsonFields {
  readonly code: string;
  readonly kind: QusErrorKind;
  readonly message: string;
  readonly hint?: string;
}

/** What `qus --json` prints when an error ends a command (schemaVersion 1). */
export interface ErrorDocument {
  readonly schemaVersion: 1;
  readonly ok: false;
  readonly exitCode: number;
  readonly error: ErrorJsonFields;
}

/**
 * Describes a thrown value: a QusError (also one from another bundle copy, or any Error carrying a known `QUS_`
 * code) by its code, kind, message and hint; anything else as unexpected, with its stack. `exitCode` overrides the
 * code's exit code, for a command that keeps its own for qus's failures.
 */
export function describeError(error: unknown, exitCode?: number): ErrorDescription {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (error instanceof Error && (isQusError(error) || isQusErrorCode(code))) {
    const known = isQusErrorCode(code) ? code : undefined;
    const hint = (error as { hint?: unknown }).hint;
    return {
      code: String(code),
      kind: known ? errorKind(known) : "operation",
      message: error.message,
      ...(typeof hint === "string" && hint ? { hint } : {}),
      exitCode: exitCode ?? (known ? exitCodeOf(known) : EXIT_CODES.notOk),
    };
  }
  return {
    code: UNEXPECTED_ERROR_CODE,
    kind: "operation",
    message: error instanceof Error ? error.message : String(error),
    exitCode: exitCode ?? EXIT_CODES.notOk,
    stack: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
}

/** How {@link renderErrorText} lays an error out. */
export interface ErrorTextOptions {
  /** One line, the hint in parentheses (a CI result line); by default the hint is a line of its own. */
  readonly oneLine?: boolean;
}

/**
 * An error as text, without a trailing newline: `qus: error CODE: message` and `hint: ...` (on the next line, or
 * in parentheses with `oneLine`); an unexpected error as `qus: unexpected error: ` and its stack.
 */
export function renderErrorText(error: unknown, options: ErrorTextOptions = {}): string {
  const described = describeError(error);
  if (described.stack !== undefined) return `qus: unexpected error: ${described.stack}`;
  const hint = described.hint ? (options.oneLine ? ` (hint: ${described.hint})` : `\nhint: ${described.hint}`) : "";
  return `qus: error ${described.code}: ${described.message}${hint}`;
}

/** The JSON document of an error that ended a command: `{ schemaVersion, ok: false, exitCode, error }`. */
export function errorDocument(error: unknown, exitCode?: number): ErrorDocument {
  const { code, kind, message, hint, exitCode: exit } = describeError(error, exitCode);
  return { schemaVersion: 1, ok: false, exitCode: exit, error: { code, kind, message, ...(hint ? { hint } : {}) } };
}

/** {@link errorDocument} as the JSON text `--json` prints, with a trailing newline. */
export function renderErrorJson(error: unknown, exitCode?: number): string {
  return `${JSON.stringify(errorDocument(error, exitCode), null, 2)}\n`;
}

/**
 * The QusError an {@link ErrorDocument} describes (what `qus --json` printed, read back as data); undefined when the
 * value is not one or names a code this qus does not know.
 */
export function errorFromDocument(value: unknown): QusError | undefined {
  const document = value as Partial<ErrorDocument> | undefined;
  const error = document?.error as Partial<ErrorJsonFields> | undefined;
  if (document?.ok !== false || !isQusErrorCode(error?.code) || typeof error.message !== "string") return undefined;
  return new QusError(
    error.code as QusErrorCode,
    error.message,
    typeof error.hint === "string" ? { hint: error.hint } : {},
  );
}
