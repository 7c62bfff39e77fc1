/** Stable error codes. Each names one kind of failure; the CLI maps them to exit codes. */
export type QusErrorCode =
  // bad input or usage (exit 2)
  | "QUS_USAGE"
  | "QUS_UNKNOWN_PLATFORM"
  | "QUS_INVALID_FLAGS"
  | "QUS_INVALID_REGISTRATION"
  | "QUS_HOST_MATCH"
  | "QUS_FILE_UNREADABLE"
  | "QUS_NOT_ELF"
  | "QUS_ELF_TRUNCATED"
  | "QUS_QEMU_SOURCE_UNKNOWN"
  | "QUS_VM_NOT_FOUND"
  | "QUS_VM_DISK_REFUSED"
  // the environment cannot do it (exit 3)
  | "QUS_NOT_ROOT"
  | "QUS_NO_BINFMT_MISC"
  | "QUS_KERNEL_NO_F_FLAG"
  | "QUS_INTERPRETER_MISSING"
  | "QUS_ENGINE_UNREACHABLE"
  | "QUS_ENGINE_ROOTLESS"
  | "QUS_IMAGE_MISSING"
  | "QUS_PRIVILEGE_DENIED"
  | "QUS_BINFMT_DISABLED"
  | "QUS_NATIVE_CLAIMED"
  | "QUS_TMPDIR_UNUSABLE"
  | "QUS_PLATFORM_NOT_RUNNABLE"
  | "QUS_QEMU_PACKAGE_MISSING"
  | "QUS_QEMU_FETCH_FAILED"
  | "QUS_QEMU_CACHE_UNWRITABLE"
  | "QUS_PRIVATE_BINFMT"
  | "QUS_VM_TOOL_MISSING"
  | "QUS_OUTPUT_TOO_LARGE"
  | "QUS_NO_SPACE"
  | "QUS_BINFMT_READONLY"
  | "QUS_NODE_TOO_OLD"
  | "QUS_USERNS_UNAVAILABLE"
  // an operation failed (exit 1)
  | "QUS_KERNEL_WRITE_FAILED"
  | "QUS_EXEC_FAILED"
  | "QUS_PERSIST_FAILED"
  | "QUS_IMAGE_BUILD_FAILED"
  | "QUS_PERSIST_CONFLICT"
  | "QUS_TIMEOUT"
  | "QUS_OUTPUT_UNWRITABLE"
  | "QUS_VERIFY_FAILED"
  | "QUS_VM_BUILD_FAILED"
  | "QUS_VM_BOOT_FAILED"
  | "QUS_VM_DIED"
  | "QUS_VM_RUNNING";

/** What kind of failure a code is: the user's input, the machine, or the operation itself. */
export type QusErrorKind = "input" | "environment" | "operation";

const KIND: Record<QusErrorCode, QusErrorKind> = {
  QUS_USAGE: "input",
  QUS_UNKNOWN_PLATFORM: "input",
  QUS_INVALID_FLAGS: "input",
  QUS_INVALID_REGISTRATION: "input",
  QUS_HOST_MATCH: "input",
  QUS_FILE_UNREADABLE: "input",
  QUS_NOT_ELF: "input",
  QUS_ELF_TRUNCATED: "input",
  QUS_QEMU_SOURCE_UNKNOWN: "input",
  QUS_VM_NOT_FOUND: "input",
  QUS_VM_DISK_REFUSED: "input",
  QUS_NOT_ROOT: "environment",
  QUS_NO_BINFMT_MISC: "environment",
  QUS_KERNEL_NO_F_FLAG: "environment",
  QUS_INTERPRETER_MISSING: "environment",
  QUS_ENGINE_UNREACHABLE: "environment",
  QUS_ENGINE_ROOTLESS: "environment",
  QUS_IMAGE_MISSING: "environment",
  QUS_PRIVILEGE_DENIED: "environment",
  QUS_BINFMT_DISABLED: "environment",
  QUS_NATIVE_CLAIMED: "environment",
  QUS_TMPDIR_UNUSABLE: "environment",
  QUS_PLATFORM_NOT_RUNNABLE: "environment",
  QUS_QEMU_PACKAGE_MISSING: "environment",
  QUS_QEMU_FETCH_FAILED: "environment",
  QUS_QEMU_CACHE_UNWRITABLE: "environment",
  QUS_PRIVATE_BINFMT: "environment",
  QUS_VM_TOOL_MISSING: "environment",
  QUS_OUTPUT_TOO_LARGE: "environment",
  QUS_NO_SPACE: "environment",
  QUS_BINFMT_READONLY: "environment",
  QUS_NODE_TOO_OLD: "environment",
  QUS_USERNS_UNAVAILABLE: "environment",
  QUS_KERNEL_WRITE_FAILED: "operation",
  QUS_EXEC_FAILED: "operation",
  QUS_PERSIST_FAILED: "operation",
  QUS_IMAGE_BUILD_FAILED: "operation",
  QUS_PERSIST_CONFLICT: "operation",
  QUS_TIMEOUT: "operation",
  QUS_OUTPUT_UNWRITABLE: "operation",
  QUS_VERIFY_FAILED: "operation",
  QUS_VM_BUILD_FAILED: "operation",
  QUS_VM_BOOT_FAILED: "operation",
  QUS_VM_DIED: "operation",
  QUS_VM_RUNNING: "operation",
};

/** Whether an error code is the user's input, the machine, or the operation itself. */
export function errorKind(code: QusErrorCode): QusErrorKind {
  return KIND[code];
}

/** Exit codes of qus, stable: scripts branch on them. */
export const EXIT_CODES = {
  /** Every requested platform is native, or registered as asked and verified. */
  ok: 0,
  /** Some platform is not: verification failed, or a conflict was left in place. */
  notOk: 1,
  /** Bad input or usage. */
  usage: 2,
  /** The environment cannot do it: not root, no binfmt_misc, kernel too old, no QEMU, engine unreachable. */
  environment: 3,
  /**
   * qus itself failed, in a command that passes another program's status through (`qus vm run`): 125, as
   * `docker run` keeps 125 for its own, so that program's 1 to 3 is never read as qus's.
   */
  qusFailed: 125,
} as const;

/** The exit code of an error code: the same whether the error ended the command or was reported for one platform. */
export function exitCodeOf(code: QusErrorCode): number {
  const kind = KIND[code];
  return kind === "input" ? EXIT_CODES.usage : kind === "environment" ? EXIT_CODES.environment : EXIT_CODES.notOk;
}

/** Whether a value is one of the stable {@link QusErrorCode}s this qus knows. */
export function isQusErrorCode(value: unknown): value is QusErrorCode {
  return typeof value === "string" && Object.hasOwn(KIND, value);
}

/** The exit code of an error that ended a command: its code's; 1 for anything that is not a QusError (a bug). */
export function exitCodeOfError(error: unknown): number {
  return isQusError(error) && isQusErrorCode(error.code) ? exitCodeOf(error.code) : EXIT_CODES.notOk;
}

/** Options of a {@link QusError}. */
export interface QusErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  /** The underlying error, kept for debugging. */
  cause?: unknown;
}

/** The one error class of qus: a stable `code`, a message naming the input, a `hint`, and the `cause`. */
export class QusError extends Error {
  override readonly name = "QusError";
  readonly code: QusErrorCode;
  readonly hint: string | undefined;

  constructor(code: QusErrorCode, message: string, options: QusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }

  /** Whether the input, the environment or the operation is at fault. */
  get kind(): QusErrorKind {
    return KIND[this.code];
  }
}

/** Whether a value is a {@link QusError}, across bundle copies of this module. */
export function isQusError(value: unknown): value is QusError {
  return value instanceof Error && value.name === "QusError" && typeof (value as QusError).code === "string";
}

/** The errno code of a Node system error (`EEXIST`, `EPERM`), if any. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
